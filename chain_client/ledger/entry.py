"""Log entries: what each leaf of the ledger's Merkle tree holds.

An entry is the canonical CBOR array ``[1, time, transaction]``: the entry
format version, the ledger time (Unix seconds) at which the operator accepted
the transaction, and the exact signed transaction bytes.  The leaf hash is
RFC 9162's ``SHA-256(0x00 || entry)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from chain_client import cbor
from chain_client.errors import ProtocolError
from chain_client.ledger.errors import TransactionError
from chain_client.ledger.reasons import TxReason
from chain_client.merkle import leaf_hash

ENTRY_VERSION = 1


@dataclass(frozen=True)
class Entry:
    """One log entry: acceptance time and the signed transaction."""

    time: int
    tx: bytes

    def encode(self) -> bytes:
        """The exact leaf bytes."""
        return encode_entry(self.time, self.tx)


def encode_entry(time: int, tx: bytes) -> bytes:
    """Canonical bytes of a log entry."""
    return cbor.dumps([ENTRY_VERSION, time, tx])


def decode_entry(data: bytes) -> Entry:
    """Parse a log entry strictly."""
    try:
        value = cbor.loads(data, what="log entry")
    except ProtocolError as exc:
        raise TransactionError(TxReason.BAD_ENCODING, exc.detail) from None
    if (
        not isinstance(value, list)
        or len(value) != 3
        or value[0] != ENTRY_VERSION
        or isinstance(value[1], bool)
        or not isinstance(value[1], int)
        or value[1] < 0
        or not isinstance(value[2], bytes)
    ):
        raise TransactionError(TxReason.BAD_ENCODING, "log entry must be [1, time, transaction bytes]")
    return Entry(time=value[1], tx=value[2])


def entry_leaf_hash(data: bytes) -> bytes:
    """Leaf hash of the entry bytes (RFC 9162)."""
    return leaf_hash(data)
