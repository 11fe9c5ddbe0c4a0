"""Checkpoints (c2sp.org/tlog-checkpoint) and their cosignatures (c2sp.org/tlog-cosignature, v1).

A checkpoint is a signed note whose text is three lines: the log's origin,
its tree size in decimal and its RFC 6962 root hash in base64.  The log signs
it with an Ed25519 note signature whose key name is the origin.  A witness
adds a ``cosignature/v1`` line: its Ed25519 signature (key type 0x04) over
``"cosignature/v1\\ntime <T>\\n" || checkpoint text``, preceded by ``T`` as a
big-endian uint64.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from chain_client.tlog import note
from chain_client.tlog.errors import NoteError
from chain_client.tlog.note import COSIGNATURE_V1, Note, Signature, VerifierKey

MAX_TIMESTAMP = 2**63 - 1


@dataclass(frozen=True)
class Checkpoint:
    """The three lines of a checkpoint: origin, tree size, root hash."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        """The note text: ``origin\\nsize\\nbase64(root)\\n``."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def log_verifier(origin: str, public_key: bytes) -> VerifierKey:
    """The log's verifier key: an Ed25519 note key named after the origin."""
    return note.ed25519_verifier(origin, public_key)


def sign_checkpoint(checkpoint: Checkpoint, key: SigningKey) -> Note:
    """The checkpoint as a note signed by the log key (key name = origin)."""
    text = checkpoint.text()
    return Note(text, (note.sign(text, checkpoint.origin, key),))


def parse_text(text: str) -> Checkpoint:
    """The checkpoint in a note text (extension lines are allowed and ignored)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
        raise NoteError("a checkpoint is at least three non-empty lines: origin, tree size, root hash")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isdigit() or not size_text.isascii() or (size_text != "0" and size_text[0] == "0"):
        raise NoteError(f"checkpoint tree size {size_text[:40]!r} is not a decimal without leading zeroes")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        root = b""
    if len(root) != 32:
        raise NoteError(f"checkpoint root hash {root_text[:60]!r} is not 32 bytes in base64")
    return Checkpoint(origin, int(size_text), root)


def verify_checkpoint(data: bytes | str, log_key: VerifierKey) -> tuple[Checkpoint, Note]:
    """Parse a signed checkpoint and check the log's signature and origin."""
    signed = note.parse(data)
    checkpoint = parse_text(signed.text)
    if checkpoint.origin != log_key.name:
        raise NoteError(f"checkpoint origin {checkpoint.origin[:60]!r} is not the log's {log_key.name!r}")
    note.verify(signed, [log_key])
    return checkpoint, signed


# -- cosignatures ------------------------------------------------------------


def cosigner(name: str, public_key: bytes) -> VerifierKey:
    """A witness's cosigner key (type 0x04)."""
    if len(public_key) != 32:
        raise NoteError(f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
    return VerifierKey(note.check_name(name), COSIGNATURE_V1, public_key)


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: header, time line, the checkpoint's note text."""
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def cosign(text: str, name: str, key: SigningKey, timestamp: int) -> Signature:
    """A cosignature/v1 line over the checkpoint ``text`` at ``timestamp``."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is outside 0..2^63-1")
    signer = cosigner(name, bytes(key.verify_key))
    signature = key.sign(cosigned_message(text, timestamp)).signature
    return Signature(name, signer.key_id, struct.pack(">Q", timestamp) + signature)


def verify_cosignatures(signed: Note, witnesses: Sequence[VerifierKey]) -> dict[str, int]:
    """The witnesses (by name) whose cosignature/v1 on ``signed`` verifies, with its timestamp.

    Lines of unknown keys are ignored; a known key whose line fails raises.
    """
    known = {(w.name, w.key_id): w for w in witnesses if w.kind == COSIGNATURE_V1}
    found: dict[str, int] = {}
    for sig in signed.signatures:
        witness = known.get((sig.name, sig.key_id))
        if witness is None:
            continue
        if len(sig.signature) != 8 + 64:
            raise NoteError(f"cosignature of {witness.name} is {len(sig.signature)} bytes, not 72")
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        if timestamp > MAX_TIMESTAMP:
            raise NoteError(f"cosignature of {witness.name} has timestamp {timestamp} beyond 2^63-1")
        try:
            VerifyKey(witness.public_key).verify(cosigned_message(signed.text, timestamp), sig.signature[8:])
        except (BadSignatureError, ValueError):
            raise NoteError(f"the cosignature of {witness.name} does not verify") from None
        found[witness.name] = timestamp
    return found
