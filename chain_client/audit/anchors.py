"""The on-chain anchors a bundle cites (docs/chain.md, 'Audit bundles').

Offline, ``anchor_consistency`` checks that each cited ``record_anchor`` entry's tree (size, root)
is a prefix of the bundle's tree head.  With an Ethereum node (``leasechain audit verify --rpc``),
:func:`check_on_chain` confirms that the bundle's tree head, or a later tree consistent with it,
is anchored on the chain, or else that a cited anchor on the chain covers every entry of the bundle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chain_client import merkle
from chain_client.audit.bundle import Bundle
from chain_client.audit.report import Report
from chain_client.errors import LeaseChainError
from chain_client.evm import ChainError, Rpc, anchor_at, latest_anchor
from chain_client.ledger.entry import decode_entry
from chain_client.ledger.schema import TxType
from chain_client.ledger.transaction import Transaction, decode
from chain_client.ledger.treehead import TreeHead, tree_head_from_json

# Fetches a consistency proof (first size, second size) from a ledger: untrusted, it is checked.
ProofSource = Callable[[int, int], Sequence[bytes]]


@dataclass(frozen=True)
class Cited:
    """A cited anchor whose record is in the bundle's log and whose tree is a prefix of its head."""

    chain_id: int
    contract: str
    size: int
    root: bytes
    tx_hash: str
    block: int


@dataclass(frozen=True)
class OnChain:
    """What the chain confirmed: ``ok``, and a sentence per anchor contract looked at."""

    ok: bool
    lines: tuple[str, ...]


def cited_anchors(bundle: Bundle, log: dict[int, Any], head: TreeHead | None, report: Report) -> list[Cited]:
    """Check each cited anchor offline; the ones that hold."""
    found: list[Cited] = []
    if bundle.anchors:  # a check only bundles that cite anchors have: older ones report as they did
        report.passed.setdefault("anchor_consistency", 0)
    for item in bundle.anchors:
        where = f"anchor cited at log entry {item.index}"
        logged = log.get(item.index)
        tx: Transaction | None = logged.tx if logged is not None else None
        if tx is None or tx.type != TxType.RECORD_ANCHOR:
            report.fail("anchor_consistency", where, "the bundle holds no verified record_anchor entry there")
            continue
        size, root = int(tx.args["size"]), bytes(tx.args["root"])
        if head is None:
            continue
        try:
            proof = [bytes.fromhex(p) for p in item.consistency]
            merkle.verify_consistency(size, head.size, root, head.root, proof)
        except (LeaseChainError, ValueError) as exc:
            report.fail("anchor_consistency", where, f"tree size {size} is not a prefix of the head: {exc}")
            continue
        report.good("anchor_consistency")
        args = tx.args
        found.append(
            Cited(args["chain_id"], args["contract"], size, root, bytes(args["tx_hash"]).hex(), args["block"])
        )
    return found


def _later(rpc: Rpc, contract: str, bundle: Bundle, head: TreeHead, proofs: ProofSource | None) -> str | None:
    """A sentence if the head itself, or a later consistent tree, is anchored; else None."""
    exact = anchor_at(rpc, contract, bundle.origin, head.size)
    if exact.size == head.size and exact.root == head.root:
        return f"the bundle's tree head (size {head.size}) is anchored in block {exact.block}"
    newest = latest_anchor(rpc, contract, bundle.origin)
    if newest.size <= head.size or proofs is None:
        return None
    proof = proofs(head.size, newest.size)
    merkle.verify_consistency(head.size, newest.size, head.root, newest.root, proof)
    return (
        f"a later tree (size {newest.size}, block {newest.block}) is anchored "
        f"and consistent with the bundle's (size {head.size})"
    )


def check_on_chain(
    bundle: Bundle, head: TreeHead, cited: list[Cited], rpc: Rpc, proofs: ProofSource | None
) -> OnChain:
    """Ask the chain about every contract the bundle cites."""
    if not cited:
        return OnChain(False, ("the bundle cites no on-chain anchor (export it again once one is recorded)",))
    chain_id = rpc.chain_id()
    lines: list[str] = []
    ok = False
    records = {a.index for a in bundle.anchors}
    last_index = max((e.index for e in bundle.entries if e.index not in records), default=0)
    for anchor in cited:
        name = f"chain {anchor.chain_id}, contract {anchor.contract}"
        if anchor.chain_id != chain_id:
            lines.append(f"{name}: the RPC endpoint serves chain {chain_id}, not checked")
            continue
        try:
            later = _later(rpc, anchor.contract, bundle, head, proofs)
        except (ChainError, LeaseChainError) as exc:
            lines.append(f"{name}: {exc}")
            continue
        if later is not None:
            ok = True
            lines.append(f"{name}: {later}")
            continue
        held = anchor_at(rpc, anchor.contract, bundle.origin, anchor.size)
        if held.root != anchor.root:
            lines.append(f"{name}: the chain does not hold the cited anchor of size {anchor.size}")
        elif last_index < anchor.size:
            ok = True
            lines.append(
                f"{name}: every entry of the bundle lies in the tree of size {anchor.size}, "
                f"anchored in block {held.block} (transaction 0x{anchor.tx_hash})"
            )
        else:
            lines.append(f"{name}: the anchored tree (size {anchor.size}) ends before entry {last_index}")
    return OnChain(ok, tuple(lines))


@dataclass(frozen=True)
class _Logged:
    tx: Transaction


def verify_on_chain(bundle: Bundle, rpc: Rpc, proofs: ProofSource | None = None) -> OnChain:
    """Check a bundle (already verified offline) against the chain behind ``rpc``.

    ``proofs`` fetches a consistency proof from a ledger when the chain holds a later tree than
    the bundle's; without it only the bundle's own tree and the cited anchors are looked up.
    """
    head = tree_head_from_json(bundle.tree_head)
    wanted = {a.index for a in bundle.anchors}
    log = {
        e.index: _Logged(decode(decode_entry(bytes.fromhex(e.entry)).tx))
        for e in bundle.entries
        if e.index in wanted
    }
    cited = cited_anchors(bundle, log, head, Report())
    return check_on_chain(bundle, head, cited, rpc, proofs)
