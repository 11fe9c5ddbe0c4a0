"""The witness protocol's messages (c2sp.org/tlog-witness): ``add-checkpoint`` requests and answers.

A request body is ``old <size>\\n``, at most 63 base64 consistency proof
lines, an empty line, then the signed checkpoint.  A 200 answer is one or
more note signature lines (cosignatures); a 409 answer is the witness's tree
size in decimal with content type ``text/x.tlog.size``.  The log and the
witness both use these functions, so both read the same bytes the same way.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from chain_client.merkle import HASH_SIZE
from chain_client.tlog import note
from chain_client.tlog.checkpoint import verify_cosignatures
from chain_client.tlog.errors import NoteError
from chain_client.tlog.note import Note, Signature, VerifierKey

SIZE_MEDIA_TYPE = "text/x.tlog.size"
MAX_PROOF_LINES = 63
# A checkpoint of a few hundred bytes, 63 proof lines and up to 100 signature lines fit well below.
MAX_REQUEST = 64 * 1024
MAX_RESPONSE = 16 * 1024
MAX_SIZE = 2**63 - 1


@dataclass(frozen=True)
class AddCheckpoint:
    """One ``add-checkpoint`` request: the old size, the consistency proof, the signed checkpoint."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: bytes

    def encode(self) -> bytes:
        """The request body."""
        if len(self.proof) > MAX_PROOF_LINES:
            raise NoteError(f"a consistency proof of {len(self.proof)} hashes is over {MAX_PROOF_LINES}")
        lines = [f"old {self.old_size}\n"] + [base64.b64encode(h).decode() + "\n" for h in self.proof]
        return ("".join(lines) + "\n").encode() + self.checkpoint


def decimal(text: str, what: str) -> int:
    """A decimal without leading zeroes (``0`` alone allowed), at most 2^63-1."""
    if not text.isascii() or not text.isdigit() or (text != "0" and text[0] == "0") or len(text) > 19:
        raise NoteError(f"{what} {text[:30]!r} is not a decimal without leading zeroes")
    value = int(text)
    if value > MAX_SIZE:
        raise NoteError(f"{what} {value} is over 2^63-1")
    return value


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse a request body; NoteError names what is malformed (the witness answers 400)."""
    if len(body) > MAX_REQUEST:
        raise NoteError(f"request of {len(body)} bytes is over {MAX_REQUEST}")
    cut = body.find(b"\n\n")
    if cut < 0:
        raise NoteError("request has no empty line between the old size and proof, and the checkpoint")
    try:
        head = body[: cut + 1].decode("ascii")
    except UnicodeDecodeError:
        raise NoteError("request head (old size and proof lines) is not ASCII") from None
    lines = head.split("\n")[:-1]
    if not lines[0].startswith("old "):
        raise NoteError(f"request's first line {lines[0][:40]!r} is not 'old <size>'")
    old_size = decimal(lines[0][4:], "old size")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise NoteError(f"request has {len(lines) - 1} proof lines, over {MAX_PROOF_LINES}")
    proof = tuple(_hash(line) for line in lines[1:])
    return AddCheckpoint(old_size, proof, body[cut + 2 :])


def _hash(line: str) -> bytes:
    try:
        value = base64.b64decode(line, validate=True)
    except binascii.Error:
        value = b""
    if len(value) != HASH_SIZE or base64.b64encode(value).decode() != line:
        raise NoteError(f"proof line {line[:60]!r} is not one base64 SHA-256 hash")
    return value


def parse_size(body: bytes) -> int:
    """The tree size in a 409 answer (``<size>\\n``)."""
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise NoteError("409 answer is not ASCII") from None
    if not text.endswith("\n") or "\n" in text[:-1]:
        raise NoteError(f"409 answer {text[:40]!r} is not one line '<size>'")
    return decimal(text[:-1], "witness tree size")


def cosignatures(answer: bytes, checkpoint: Note, witness: VerifierKey) -> tuple[Signature, ...]:
    """The ``witness``'s verified cosignature lines in a 200 answer to ``checkpoint``.

    Lines of other keys are ignored (the spec says so); a line of the
    witness's key that does not verify, a zero timestamp, or no line of its
    key at all raises NoteError.
    """
    if len(answer) > MAX_RESPONSE:
        raise NoteError(f"answer of {len(answer)} bytes is over {MAX_RESPONSE}")
    combined = note.parse(checkpoint.text.encode() + b"\n" + answer)
    mine = tuple(s for s in combined.signatures if (s.name, s.key_id) == (witness.name, witness.key_id))
    found = verify_cosignatures(Note(checkpoint.text, mine), [witness])
    if witness.name not in found:
        raise NoteError(f"the answer holds no cosignature of {witness.name}")
    if found[witness.name] == 0:
        raise NoteError(f"the cosignature of {witness.name} has no timestamp (zero)")
    return mine


def with_signatures(signed: Note, added: Sequence[Signature]) -> Note:
    """``signed`` with the ``added`` lines after its own, each (name, key id) once."""
    seen = {(s.name, s.key_id) for s in signed.signatures}
    extra = []
    for sig in added:
        if (sig.name, sig.key_id) not in seen:
            seen.add((sig.name, sig.key_id))
            extra.append(sig)
    return Note(signed.text, signed.signatures + tuple(extra))


def origin_hash(origin: str) -> str:
    """The lowercase hex SHA-256 of an origin: the monitoring path ``<hash>/checkpoint``."""
    return hashlib.sha256(origin.encode()).hexdigest()
