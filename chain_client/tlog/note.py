"""Signed notes (c2sp.org/signed-note): text signed by Ed25519 keys, and verifier keys (vkeys).

A note is its text (ending in a newline), a blank line, and signature lines
``"— <key name> base64(key id || signature)\\n"``.  The key id of an Ed25519
key is ``SHA-256(name || "\\n" || 0x01 || public key)[:4]``; a vkey is
``<name>+<hex key id>+base64(0x01 || public key)``.  Cosignatures
(c2sp.org/tlog-cosignature) use type ``0x04`` with the same layout.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from chain_client.tlog.errors import NoteError

ED25519 = 0x01  # signature type of a plain Ed25519 note signature
COSIGNATURE_V1 = 0x04  # timestamped Ed25519 checkpoint cosignature (c2sp.org/tlog-cosignature)
DASH = "\u2014"  # em dash opening every signature line
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16


@dataclass(frozen=True)
class Signature:
    """One signature line: the key name, the 4-byte key id, and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """The signature line, with its newline."""
        return f"{DASH} {self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


@dataclass(frozen=True)
class Note:
    """A signed note: its text (with the final newline) and its signature lines."""

    text: str
    signatures: tuple[Signature, ...]

    def encode(self) -> bytes:
        """The note's bytes: text, blank line, signature lines."""
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode()


@dataclass(frozen=True)
class VerifierKey:
    """A note verifier key: name, signature type and public key; its key id follows from them."""

    name: str
    kind: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        """``SHA-256(name || 0x0A || type || public key)[:4]``."""
        return key_id(self.name, self.kind, self.public_key)

    def vkey(self) -> str:
        """The vkey text ``<name>+<hex key id>+base64(type || public key)``."""
        material = base64.b64encode(bytes([self.kind]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid key name (non-empty, no spaces, no ``+``)."""
    if not name or "+" in name or any(c.isspace() for c in name) or any(ord(c) < 0x20 for c in name):
        raise NoteError(f"key name {name[:40]!r} is not valid: it must be non-empty, without spaces or '+'")
    return name


def key_id(name: str, kind: int, public_key: bytes) -> bytes:
    """The 4-byte key id the signed-note spec recommends (and tlog-cosignature requires)."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public_key).digest()[:4]


def ed25519_verifier(name: str, public_key: bytes) -> VerifierKey:
    """The verifier key of an Ed25519 note signer."""
    if len(public_key) != 32:
        raise NoteError(f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
    return VerifierKey(check_name(name), ED25519, public_key)


def parse_vkey(text: str) -> VerifierKey:
    """Parse ``<name>+<hex key id>+base64(type || key)``; the key id must match."""
    parts = text.strip().split("+", 2)  # base64 may hold "+"; the name and the key id never do
    if len(parts) != 3:
        raise NoteError(f"vkey {text[:40]!r} is not <name>+<key id>+<key>")
    name, hex_id, material = parts
    try:
        raw = base64.b64decode(material, validate=True)
        given_id = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError):
        raise NoteError(f"vkey {text[:40]!r}: key id or key is not hex / base64") from None
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise NoteError(f"vkey {text[:40]!r} is not an Ed25519 (type 0x01) or cosignature (0x04) key")
    key = VerifierKey(check_name(name), raw[0], raw[1:])
    if given_id != key.key_id:
        raise NoteError(f"vkey {text[:40]!r}: key id {hex_id} does not match its name and key")
    return key


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("note text holds a control character")


def sign(text: str, name: str, key: SigningKey) -> Signature:
    """An Ed25519 note signature of ``text`` by ``key`` under the key name ``name``."""
    _check_text(text)
    verifier = ed25519_verifier(name, bytes(key.verify_key))
    return Signature(name, verifier.key_id, key.sign(text.encode()).signature)


def parse(data: bytes | str) -> Note:
    """Split a signed note into its text and signature lines (no signature is checked here)."""
    try:
        whole = data.decode() if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise NoteError("a signed note must be UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in whole):
        raise NoteError("a signed note must hold no control character but newline")
    cut = whole.rfind("\n\n")
    if cut < 0 or not whole.endswith("\n"):
        raise NoteError("a signed note is its text, a blank line and signature lines")
    text, lines = whole[: cut + 1], whole[cut + 2 :].splitlines()
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteError(f"a signed note needs 1..{MAX_SIGNATURES} signature lines, not {len(lines)}")
    signatures = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise NoteError(f"signature line {line[:60]!r} is not '— <name> <base64>'")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise NoteError(f"signature line {line[:60]!r}: the signature is not base64") from None
        if len(blob) < 5:
            raise NoteError(f"signature line {line[:60]!r} is too short")
        signatures.append(Signature(check_name(parts[1]), blob[:4], blob[4:]))
    return Note(text, tuple(signatures))


def verify(note: Note, keys: Sequence[VerifierKey]) -> list[VerifierKey]:
    """The Ed25519 (type 0x01) ``keys`` whose signature on ``note`` verifies.

    Signatures by unknown keys are ignored; a signature by a known key
    (same name and key id) that fails rejects the whole note, and so does a
    note no known key signed.
    """
    known = {(k.name, k.key_id): k for k in keys if k.kind == ED25519}
    good: list[VerifierKey] = []
    for sig in note.signatures:
        key = known.get((sig.name, sig.key_id))
        if key is None:
            continue
        try:
            VerifyKey(key.public_key).verify(note.text.encode(), sig.signature)
        except (BadSignatureError, ValueError):
            raise NoteError(f"the signature of {key.name} ({key.key_id.hex()}) does not verify") from None
        if key not in good:
            good.append(key)
    if not good:
        raise NoteError("no signature of a trusted key on the note: " + ", ".join(k.vkey() for k in keys))
    return good
