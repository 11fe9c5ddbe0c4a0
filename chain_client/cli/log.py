"""``leasechain log``: the signed tree head, inclusion proofs, and the consistency monitor."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chain_client import human, merkle
from chain_client.cli.context import Context
from chain_client.cli.errors import NOT_VERIFIED, SPLIT_VIEW, CliError
from chain_client.cli.registry import command, group
from chain_client.cli.values import posint, uint
from chain_client.client.sync import LedgerClient
from chain_client.ledger.treehead import verify_tree_head


def _log_key(ctx: Context, client: LedgerClient) -> bytes:
    return bytes.fromhex(ctx.args.log_key or client.info().log_key)


def head(ctx: Context) -> int:
    """Fetch the latest tree head and check its signature against the log key."""
    with ctx.client() as client:
        found = client.tree_head()
        verify_tree_head(found, _log_key(ctx, client))
    ctx.emit(
        {**found.to_json(), "verified": True},
        f"tree size {found.size}, root {found.root.hex()}, time {human.when(found.time)}: signature verified",
    )
    return 0


def proof(ctx: Context) -> int:
    """Fetch and check the inclusion proof of one log entry under a signed tree head."""
    with ctx.client() as client:
        found = client.tree_head()
        verify_tree_head(found, _log_key(ctx, client))
        size = ctx.args.tree_size or found.size
        root = found.root
        if size != found.size:
            root = _root_at(client, size, found.size, found.root)
        got = client.inclusion_proof(ctx.args.index, size)
        entry = client.transaction(ctx.args.index)
    leaf = merkle.leaf_hash(bytes.fromhex(entry.entry))
    merkle.verify_inclusion(leaf, ctx.args.index, size, [bytes.fromhex(p) for p in got.audit_path], root)
    ctx.emit(
        {**got.model_dump(), "root_hash": root.hex(), "verified": True},
        f"entry {ctx.args.index} ({entry.type} {entry.id}) is in the log of size {size}: proof verified",
    )
    return 0


def _root_at(client: LedgerClient, size: int, signed_size: int, signed_root: bytes) -> bytes:
    """The root at an older ``size``, from entries that are first checked against the signed head."""
    if size > signed_size:
        raise CliError(f"--tree-size {size} is beyond the latest signed head ({signed_size} entries)")
    hashes = [merkle.leaf_hash(bytes.fromhex(r.entry)) for r in client.iter_entries(0, signed_size)]
    if merkle.root_from_leaf_hashes(hashes) != signed_root:
        raise CliError(
            f"the entries served do not give the signed root of size {signed_size}", code=NOT_VERIFIED
        )
    return merkle.root_from_leaf_hashes(hashes[:size])


def monitor(ctx: Context) -> int:
    """Check the latest tree head and checkpoint against those kept in the state file and against
    what the policy's witnesses co-signed; exit 7 on a split view."""
    from chain_client.audit.monitor import observe
    from chain_client.cli.audit import witness_policy

    policy = witness_policy(ctx.args.policy, [], None)
    with ctx.client() as client:
        seen = observe(
            client, Path(ctx.args.state), ctx.args.log_key, log_vkey=ctx.args.log_vkey, policy=policy
        )
    for note in seen.notes:
        print(f"leasechain: note: {note}", file=sys.stderr)
    if seen.ok:
        before = f" (extends size {seen.previous.size})" if seen.previous else " (first head kept)"
        size = seen.head.size if seen.head else 0
        signed = f"; checkpoint of size {seen.checkpoint_size}" if seen.checkpoint_size is not None else ""
        cosigned = f", co-signed by {', '.join(seen.witnesses)}" if seen.witnesses else ""
        ctx.emit(seen.to_json(), f"tree head of size {size} is consistent{before}{signed}{cosigned}")
        return 0
    if seen.split:
        ctx.emit(seen.to_json(), f"SPLIT VIEW: {seen.detail}")
        return SPLIT_VIEW
    ctx.emit(seen.to_json(), f"INCONSISTENT: {seen.detail}")
    return NOT_VERIFIED


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``log`` and its subcommands."""
    cmds = group(sub, "log", "the verifiable log")
    h = command(cmds, "head", "latest signed tree head, verified", head, common)
    p = command(cmds, "proof", "inclusion proof of an entry, verified", proof, common)
    p.add_argument("index", type=uint)
    p.add_argument("--tree-size", type=posint, help="prove against this size (default: the latest head)")
    m = command(cmds, "monitor", "check the log never rewrote its history", monitor, common)
    m.add_argument("--state", required=True, help="state file of the heads seen (created if missing)")
    m.add_argument(
        "--log-vkey", help="the log's vkey, which signs its checkpoints (default: /v1/info's, pinned)"
    )
    m.add_argument(
        "--policy", help="c2sp.org/tlog-policy file: witnesses (with URLs) to compare with, and the quorum"
    )
    for c in (h, p, m):
        c.add_argument("--log-key", help="the log's public key in hex (default: as served by /v1/info)")
