"""Who signed the log's current checkpoint: the log itself and any witnesses (c2sp.org cosignature/v1).

The home page lists the signature lines of ``GET /checkpoint`` by key name; ``static/note.js``
checks the log's own signature (and a witness's, when the explorer was given its key) in the page.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from chain_client.errors import LeaseChainError
from chain_client.tlog import note

ED25519_SIZE = 64
COSIGNATURE_SIZE = 8 + 64  # timestamp, then the Ed25519 signature


@dataclass(frozen=True)
class Signer:
    """One signature line of the checkpoint, as a person reads it."""

    name: str
    key_id: str
    role: str  # "log" | "witness" | "unknown"
    time: int  # a cosignature's timestamp (Unix seconds); 0 for a plain note signature


def signers(text: str, log_vkey: str) -> list[Signer]:
    """The checkpoint's signers in line order; a malformed note raises :class:`LeaseChainError`."""
    log = note.parse_vkey(log_vkey)
    out = []
    for sig in note.parse(text).signatures:
        if (sig.name, sig.key_id) == (log.name, log.key_id):
            role, when = "log", 0
        elif len(sig.signature) == COSIGNATURE_SIZE:
            role, when = "witness", struct.unpack(">Q", sig.signature[:8])[0]
        else:
            role, when = "unknown", 0
        out.append(Signer(sig.name, sig.key_id.hex(), role, when))
    return out


def read(text: str, log_vkey: str) -> tuple[list[Signer], str]:
    """The signers and, when the note cannot be read, why (shown instead of the list)."""
    try:
        return signers(text, log_vkey), ""
    except LeaseChainError as exc:
        return [], str(exc)
