"""Checking the ledger's proofs with the RFC 9162 verifiers of :mod:`chain_client.merkle`.

A reading proof chains three checks: the device message is a leaf of its
batch (its leaf is the exact message bytes), the batch's anchoring
transaction is inside a log entry, and that entry is a leaf of the log under
a signed tree head.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chain_client import merkle
from chain_client.errors import MerkleError
from chain_client.ledger.entry import decode_entry
from chain_client.ledger.transaction import decode
from chain_client.ledger.treehead import TreeHead, tree_head_from_json, verify_tree_head


def _hexes(values: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def verify_entry_inclusion(
    entry: bytes, index: int, audit_path: Sequence[bytes], head: TreeHead, log_key: bytes
) -> None:
    """Check that ``entry`` is leaf ``index`` of the log under the signed ``head``."""
    verify_tree_head(head, log_key)
    merkle.verify_inclusion(merkle.leaf_hash(entry), index, head.size, audit_path, head.root)


def verify_reading_proof(proof: Mapping[str, Any], log_key: bytes) -> bytes:
    """Check a reading proof in the JSON form of docs/ledger.md; return the message bytes.

    Raises :class:`~chain_client.errors.MerkleError` or
    :class:`~chain_client.ledger.errors.TreeHeadError` naming the failed step.
    """
    message = bytes.fromhex(proof["message"])
    batch = proof["batch"]
    log = proof["log"]
    head = tree_head_from_json(proof["tree_head"])
    entry_bytes = bytes.fromhex(log["entry"])
    tx = decode(decode_entry(entry_bytes).tx)
    root = tx.args.get("root")
    if root != bytes.fromhex(batch["root"]):
        raise MerkleError("the batch root in the proof is not the root of the anchoring transaction")
    merkle.verify_inclusion(
        merkle.leaf_hash(message), batch["index"], batch["size"], _hexes(batch["audit_path"]), root
    )
    verify_entry_inclusion(entry_bytes, log["index"], _hexes(log["audit_path"]), head, log_key)
    return message
