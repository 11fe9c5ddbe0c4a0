"""Building an evidence bundle from a live ledger (``leasechain audit export``).

The exporter reads the whole log up to a signed tree head, checks that the
entries it was served give that head's root, and keeps the entries an
invoice depends on: the genesis (the log key), the token's minting, share
and device-binding transactions, the lease's offer, signature and closing,
the invoice's issue and payment, and every batch anchored before the issue
that holds a message of a device bound to the token by then (earlier messages
of a device were refused as unknown and count for nothing).  For each such message
it adds the audit path in its batch; for each entry, the audit path in the
log.  The ledger's own view of the lease and the invoice goes in as claims.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chain_client import cose, merkle
from chain_client.audit.bundle import FORMAT, Bundle, CitedAnchor, Claims, ProvenEntry, ProvenReading
from chain_client.audit.errors import AuditError
from chain_client.audit.paths import audit_paths
from chain_client.client import answers
from chain_client.client.errors import LedgerHTTPError, NotFoundError
from chain_client.client.sync import LedgerClient
from chain_client.device import device_id
from chain_client.errors import LeaseChainError
from chain_client.ledger.entry import decode_entry
from chain_client.ledger.ids import invoice_id, lease_id, token_id
from chain_client.ledger.schema import TxType
from chain_client.ledger.transaction import Transaction, decode
from chain_client.ledger.treehead import verify_tree_head
from chain_client.tlog import Checkpoint, log_verifier, note, parse_text, verify_checkpoint
from chain_client.tlog.proof import TlogProof

Progress = Callable[[int, int], None]
TOKEN_TYPES = frozenset(
    {
        TxType.BUY_SHARES,
        TxType.TRANSFER_SHARES,
        TxType.BIND_DEVICE,
        TxType.ROTATE_DEVICE,
        TxType.REVOKE_DEVICE,
    }
)
LEASE_TYPES = frozenset({TxType.SIGN_LEASE, TxType.CLOSE_LEASE})


def message_device(raw: bytes) -> str | None:
    """The device id (kid) a message names, if its envelope parses at all."""
    try:
        return cose.parse(raw).kid.hex()
    except LeaseChainError:
        return None


def _relevant(tx: Transaction, token: str, lease: str, invoice: str, period: int, lessee: str = "") -> bool:
    args = tx.args
    kind = tx.type
    # A proposal's lease rests on its listing (of the token) and its request (by the lessee).
    if kind == TxType.PROPOSE:
        return lease_id(tx.signer, tx.id) == lease
    if kind == TxType.LIST_MACHINE:
        return args.get("token") == token
    if kind == TxType.POST_REQUEST:
        return tx.signer == lessee
    if kind == TxType.MINT_TOKEN:
        return isinstance(args.get("serial"), str) and token_id(tx.signer, args["serial"]) == token
    if kind in TOKEN_TYPES:
        return args.get("token") == token
    if kind == TxType.OFFER_LEASE:
        return lease_id(tx.signer, tx.id) == lease
    if kind in LEASE_TYPES:
        return args.get("lease") == lease
    if kind == TxType.ISSUE_INVOICE:
        return args.get("lease") == lease and args.get("period") == period
    if kind == TxType.PAY_INVOICE:
        return args.get("invoice") == invoice
    return False


def _batch_messages(client: LedgerClient, index: int, tx: Transaction) -> list[bytes]:
    """The messages of the batch anchored at ``index``, checked against its signed root and count."""
    served = client.batch(index)
    messages = [bytes.fromhex(m) for m in served.messages]
    if len(messages) != tx.args.get("count") or merkle.root(messages) != tx.args.get("root"):
        raise AuditError(
            f"the ledger served {len(messages)} messages for batch {index} that do not give the root "
            "and count its entry signs: the ledger's answers are inconsistent"
        )
    return messages


def published_checkpoint(client: LedgerClient, log_key: bytes) -> tuple[Checkpoint, bytes] | None:
    """The log's published checkpoint (witnessed, when the log has witnesses), checked; None if none yet."""
    try:
        raw = client.static("checkpoint", 64 * 1024)
    except LedgerHTTPError as exc:
        if exc.status == 503:  # no checkpoint met the witness policy yet
            return None
        raise
    try:
        origin = parse_text(note.parse(raw).text).origin
        checkpoint, _ = verify_checkpoint(raw, log_verifier(origin, log_key))
    except LeaseChainError as exc:
        raise AuditError(f"the log's checkpoint does not verify with its key: {exc}") from None
    return checkpoint, raw


def tlog_proofs(
    published: tuple[Checkpoint, bytes] | None, leaf_hashes: list[bytes], indexes: list[int]
) -> dict[int, str]:
    """A c2sp.org/tlog-proof of each of ``indexes`` the published checkpoint covers."""
    if published is None:
        return {}
    checkpoint, raw = published
    if checkpoint.size > len(leaf_hashes) or (
        merkle.root_from_leaf_hashes(leaf_hashes[: checkpoint.size]) != checkpoint.root
    ):
        raise AuditError(
            f"the log's checkpoint of size {checkpoint.size} does not match the entries it served: "
            "the ledger's answers are inconsistent"
        )
    covered = leaf_hashes[: checkpoint.size]
    return {
        i: TlogProof(i, tuple(merkle.inclusion_proof(covered, i)), raw).encode()
        for i in indexes
        if i < checkpoint.size
    }


def export_bundle(
    client: LedgerClient, lease: str, period: int, *, progress: Progress | None = None
) -> Bundle:
    """Collect the evidence of invoice ``lease.period`` from the ledger behind ``client``."""
    info = client.info()
    log_key = bytes.fromhex(info.log_key)
    try:
        terms = client.lease(lease)
    except NotFoundError:
        raise AuditError(f"the ledger has no lease {lease!r}") from None
    invoice = invoice_id(lease, period)
    try:
        bill = client.invoice(invoice)
    except NotFoundError:
        raise AuditError(
            f"period {period} of lease {lease!r} is not invoiced (lease periods: 0..{terms.periods - 1})"
        ) from None
    published = published_checkpoint(client, log_key)  # before the head, so it is no larger
    head = client.tree_head()
    verify_tree_head(head, log_key)
    # The token's devices come from its binding entries as the scan meets them, not from the
    # ledger's registry: what selects the evidence is itself in the log.
    devices: set[str] = set()

    leaf_hashes: list[bytes] = []
    kept: dict[int, bytes] = {}
    batches: list[tuple[int, list[bytes]]] = []
    issued_at: int | None = None
    cited: dict[tuple[Any, Any], tuple[int, int]] = {}  # newest record_anchor per chain and contract
    for row in client.iter_entries(0, head.size):
        if row.index != len(leaf_hashes):
            raise AuditError(f"the ledger served entry {row.index} where {len(leaf_hashes)} was expected")
        raw = bytes.fromhex(row.entry)
        leaf_hashes.append(merkle.leaf_hash(raw))
        tx = decode(decode_entry(raw).tx, check_signature=False)
        if row.index == 0 or _relevant(tx, terms.token, lease, invoice, period, terms.lessee):
            kept[row.index] = raw
            if tx.type == TxType.ISSUE_INVOICE:
                issued_at = row.index
            if tx.type in (TxType.BIND_DEVICE, TxType.ROTATE_DEVICE):
                bound = tx.args.get("public_key")
                if isinstance(bound, bytes) and len(bound) == 32:
                    devices.add(device_id(bound).hex())
        elif tx.type == TxType.RECORD_ANCHOR:
            kept.pop(cited.get((tx.args.get("chain_id"), tx.args.get("contract")), (-1, 0))[0], None)
            cited[(tx.args.get("chain_id"), tx.args.get("contract"))] = (row.index, int(tx.args["size"]))
            kept[row.index] = raw
        elif tx.type == TxType.ANCHOR_BATCH and issued_at is None and devices:
            # The entry commits to the messages by root; they are fetched and checked against it.
            messages = _batch_messages(client, row.index, tx)
            if any(message_device(m) in devices for m in messages):
                kept[row.index] = raw
                batches.append((row.index, messages))
        if progress is not None:
            progress(row.index + 1, head.size)
    if len(leaf_hashes) != head.size or merkle.root_from_leaf_hashes(leaf_hashes) != head.root:
        raise AuditError(
            f"the {len(leaf_hashes)} entries served do not give the root of the signed tree head "
            f"(size {head.size}): the ledger's answers are inconsistent"
        )
    proofs = tlog_proofs(published, leaf_hashes, sorted(kept))
    entries = [
        ProvenEntry(
            index=i,
            entry=raw.hex(),
            audit_path=[p.hex() for p in merkle.inclusion_proof(leaf_hashes, i)],
            tlog_proof=proofs.get(i, ""),
        )
        for i, raw in sorted(kept.items())
    ]
    readings: list[ProvenReading] = []
    for index, messages in batches:
        hashes = [merkle.leaf_hash(m) for m in messages]
        mine = [p for p, raw_message in enumerate(messages) if message_device(raw_message) in devices]
        paths = audit_paths(hashes, mine)
        readings += [
            ProvenReading(
                batch=index,
                position=position,
                message=messages[position].hex(),
                audit_path=[p.hex() for p in paths[position]],
            )
            for position in mine
        ]
    anchors = [
        CitedAnchor(index=i, consistency=[p.hex() for p in merkle.consistency_proof(leaf_hashes, size)])
        for i, size in sorted(cited.values())
    ]
    claims: dict[str, Any] = {"lease": terms.model_dump(), "invoice": bill.model_dump()}
    return Bundle(
        format=FORMAT,
        created=int(time.time()),
        source=client.url,
        log_key=info.log_key,
        tree_head=head.to_json(),
        lease=lease,
        period=period,
        token=terms.token,
        entries=entries,
        readings=readings,
        claims=Claims.model_validate(claims),
        origin=str(answers.check(client.http.get("/v1/info")).get("origin", "")),
        anchors=anchors,
    )
