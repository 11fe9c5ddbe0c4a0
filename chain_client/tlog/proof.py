"""Offline proofs of logging (c2sp.org/tlog-proof@v1): an entry's index, its inclusion proof, and
the checkpoint (with its witnesses' cosignatures) that the proof leads to.

::

    c2sp.org/tlog-proof@v1
    [extra <base64>]
    index <N>
    <base64 hash>...      (leaf's sibling first)

    <checkpoint, verbatim>

Stored with the extension ``.tlog-proof``.  The verifier recomputes the
leaf hash from the entry it holds, checks the log's signature, counts the
cosignatures of the witnesses it trusts, and checks the inclusion proof.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass

from chain_client import merkle
from chain_client.errors import LeaseChainError
from chain_client.tlog.checkpoint import Checkpoint, verify_checkpoint, verify_cosignatures
from chain_client.tlog.errors import NoteError
from chain_client.tlog.note import VerifierKey
from chain_client.tlog.witness import decimal

HEADER = "c2sp.org/tlog-proof@v1"
MAX_PROOF = 64 * 1024  # 63 hashes and a checkpoint with 100 signature lines fit well below
MAX_PATH = 63


@dataclass(frozen=True)
class TlogProof:
    """A parsed proof: index, audit path, the checkpoint's bytes, and the optional extra data."""

    index: int
    path: tuple[bytes, ...]
    checkpoint: bytes
    extra: bytes | None = None

    def encode(self) -> str:
        """The proof's text."""
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.path]
        return "\n".join(lines) + "\n\n" + self.checkpoint.decode()


@dataclass(frozen=True)
class Proven:
    """What a verified proof shows: the checkpoint, and the witnesses whose cosignature verified."""

    checkpoint: Checkpoint
    witnesses: dict[str, int]


def parse_proof(text: str | bytes) -> TlogProof:
    """Parse a ``.tlog-proof``; NoteError names what is malformed."""
    raw = text.encode() if isinstance(text, str) else text
    if len(raw) > MAX_PROOF:
        raise NoteError(f"tlog-proof of {len(raw)} bytes is over {MAX_PROOF}")
    cut = raw.find(b"\n\n")
    if cut < 0:
        raise NoteError("tlog-proof has no empty line before its checkpoint")
    try:
        lines = raw[:cut].decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise NoteError("tlog-proof head is not ASCII") from None
    if lines[0] != HEADER:
        raise NoteError(f"tlog-proof starts with {lines[0][:40]!r}, not {HEADER!r}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = _b64(rest[0][6:], "extra data")
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise NoteError("tlog-proof has no 'index <N>' line")
    index = decimal(rest[0][6:], "index")
    if len(rest) - 1 > MAX_PATH:
        raise NoteError(f"tlog-proof has {len(rest) - 1} proof lines, over {MAX_PATH}")
    path = tuple(_b64(line, "proof line") for line in rest[1:])
    if any(len(h) != merkle.HASH_SIZE for h in path):
        raise NoteError("a tlog-proof line is not one base64 SHA-256 hash")
    return TlogProof(index, path, raw[cut + 2 :], extra)


def _b64(text: str, what: str) -> bytes:
    try:
        value = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise NoteError(f"{what} {text[:40]!r} is not base64") from None
    return value


def verify_proof(
    proof: TlogProof, leaf: bytes, log_key: VerifierKey, witnesses: Sequence[VerifierKey] = ()
) -> Proven:
    """Check that ``leaf`` (the entry's bytes) is at ``proof.index`` under a checkpoint of the log.

    Returns the witnesses (of ``witnesses``) whose cosignature verifies; the
    caller's policy decides whether they are enough.
    """
    checkpoint, signed = verify_checkpoint(proof.checkpoint, log_key)
    cosigned = verify_cosignatures(signed, witnesses)
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(leaf), proof.index, checkpoint.size, proof.path, checkpoint.root
        )
    except LeaseChainError as exc:
        raise NoteError(f"inclusion of entry {proof.index}: {exc}") from None
    return Proven(checkpoint, cosigned)
