"""The ledger as a C2SP transparency log: signed notes, checkpoints, cosignatures and tiles.

Formats follow c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature and
tlog-tiles exactly, so tools written elsewhere verify the ledger, and these
functions verify logs written elsewhere.
"""

from chain_client.tlog.checkpoint import (
    Checkpoint,
    cosign,
    cosigner,
    log_verifier,
    parse_text,
    sign_checkpoint,
    verify_checkpoint,
    verify_cosignatures,
)
from chain_client.tlog.errors import NoteError, TileError
from chain_client.tlog.note import Note, Signature, VerifierKey, parse_vkey

__all__ = [
    "Checkpoint",
    "Note",
    "NoteError",
    "Signature",
    "TileError",
    "VerifierKey",
    "cosign",
    "cosigner",
    "log_verifier",
    "parse_text",
    "parse_vkey",
    "sign_checkpoint",
    "verify_checkpoint",
    "verify_cosignatures",
]
