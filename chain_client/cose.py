"""COSE_Sign1 (RFC 9052) envelope with EdDSA, as docs/protocol.md restricts it.

Only what the protocol uses is supported: tag 18, a protected header holding
exactly ``alg`` (-8, EdDSA) and ``kid``, an empty unprotected header, an
attached payload and a 64-byte Ed25519 signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cbor2

from chain_client import cbor
from chain_client.errors import ProtocolError
from chain_client.reasons import Reason

TAG_SIGN1 = 18
ALG_EDDSA = -8
HEADER_ALG = 1
HEADER_KID = 4
KID_SIZE = 16
SIGNATURE_SIZE = 64
MAX_MESSAGE_SIZE = 1024


@dataclass(frozen=True)
class Sign1:
    """A parsed COSE_Sign1 whose signature has not been checked yet."""

    raw: bytes
    protected: bytes
    kid: bytes
    payload: bytes
    signature: bytes

    def to_be_signed(self) -> bytes:
        """The Sig_structure bytes the signature covers, built from the bytes received."""
        return sig_structure(self.protected, self.payload)


def protected_header(kid: bytes) -> bytes:
    """Canonical protected header bytes for ``kid``."""
    return cbor.dumps({HEADER_ALG: ALG_EDDSA, HEADER_KID: kid})


_SIG_PREFIX = b"\x84\x6aSignature1"  # array(4), tstr(10) "Signature1"


def _bstr_head(length: int) -> bytes:
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """``Sig_structure`` of RFC 9052 section 4.4 with an empty external AAD.

    Written out directly (it runs once per verified message); the test suite
    checks it equals the canonical CBOR encoding of the array.
    """
    return b"".join(
        (_SIG_PREFIX, _bstr_head(len(protected)), protected, b"\x40", _bstr_head(len(payload)), payload)
    )


def assemble(protected: bytes, payload: bytes, signature: bytes) -> bytes:
    """Encode the tagged COSE_Sign1 array."""
    return cbor.dumps(cbor2.CBORTag(TAG_SIGN1, [protected, {}, payload, signature]))


def _tag_of(data: bytes) -> str:
    """Describe the leading tag of ``data`` for an error message."""
    head = data[0]
    if head >> 5 != 6:
        return "an untagged item"
    info = head & 0x1F
    if info < 24:
        return f"tag {info}"
    width = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
    if width is None or len(data) < 1 + width:
        return "a malformed tag"
    return f"tag {int.from_bytes(data[1 : 1 + width], 'big')}"


PROTECTED_PREFIX = b"\xa2\x01\x27\x04\x50"  # {1: -8, 4: h'<16 bytes>'}
PROTECTED_SIZE = len(PROTECTED_PREFIX) + KID_SIZE


def _bstr_at(data: bytes, pos: int) -> tuple[bytes, int] | None:
    """The byte string whose shortest-form head starts at ``pos``, and the position after it."""
    head = data[pos] if pos < len(data) else -1
    if 0x40 <= head <= 0x57:
        length, start = head - 0x40, pos + 1
    elif head == 0x58 and pos + 1 < len(data) and data[pos + 1] >= 24:
        length, start = data[pos + 1], pos + 2
    elif head == 0x59 and pos + 2 < len(data) and data[pos + 1] != 0:
        length, start = (data[pos + 1] << 8) | data[pos + 2], pos + 3
    else:
        return None
    end = start + length
    return (data[start:end], end) if end <= len(data) else None


def _parse_fast(data: bytes) -> Sign1 | None:
    """Parse the one canonical layout a conforming sender produces, without a CBOR decoder.

    Returns ``None`` for anything else, which then goes through the general
    decoder to get its precise rejection reason.  Every accepted input is
    canonical by construction: the heads are checked to be shortest.
    """
    if data[:2] != b"\xd2\x84":
        return None
    protected = _bstr_at(data, 2)
    if protected is None or len(protected[0]) != PROTECTED_SIZE:
        return None
    header, pos = protected
    if not header.startswith(PROTECTED_PREFIX) or data[pos : pos + 1] != b"\xa0":
        return None
    payload = _bstr_at(data, pos + 1)
    if payload is None:
        return None
    body, pos = payload
    if data[pos : pos + 2] != b"\x58\x40" or len(data) != pos + 2 + SIGNATURE_SIZE:
        return None
    return Sign1(
        raw=data,
        protected=header,
        kid=header[len(PROTECTED_PREFIX) :],
        payload=body,
        signature=data[pos + 2 :],
    )


def parse(data: bytes) -> Sign1:
    """Parse the envelope strictly; raise :class:`ProtocolError` naming the broken rule."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ProtocolError(Reason.BAD_CBOR, f"message is {type(data).__name__}, expected bytes")
    data = bytes(data)
    if len(data) > MAX_MESSAGE_SIZE:
        raise ProtocolError(Reason.OVERSIZE, f"message is {len(data)} bytes, limit is {MAX_MESSAGE_SIZE}")
    if not data:
        raise ProtocolError(Reason.BAD_CBOR, "message is empty")
    fast = _parse_fast(data)
    if fast is not None:
        return fast
    if data[0] != 0xD2:  # tag 18 in a one-byte head
        raise ProtocolError(Reason.WRONG_TAG, f"message is {_tag_of(data)}, expected tag 18")
    item = cbor.loads(data, what="message", allowed_tags=frozenset({TAG_SIGN1}))
    if not isinstance(item, cbor2.CBORTag) or item.tag != TAG_SIGN1:
        raise ProtocolError(Reason.WRONG_TAG, "message is not a tag-18 item")
    body = item.value
    if not isinstance(body, list | tuple) or len(body) != 4:
        raise ProtocolError(Reason.BAD_STRUCTURE, "COSE_Sign1 must be an array of 4 items")
    protected, unprotected, payload, signature = body
    _check_structure(protected, unprotected, payload, signature)
    kid = _protected_kid(protected)
    return Sign1(raw=data, protected=protected, kid=kid, payload=payload, signature=signature)


def _check_structure(protected: object, unprotected: object, payload: object, signature: object) -> None:
    """The four items of a COSE_Sign1 array have the shapes this profile requires."""
    if not isinstance(protected, bytes) or not protected:
        raise ProtocolError(Reason.BAD_STRUCTURE, "protected header must be a non-empty bstr")
    if not isinstance(unprotected, Mapping):
        raise ProtocolError(Reason.BAD_STRUCTURE, "unprotected header must be a map")
    if unprotected:
        raise ProtocolError(
            Reason.BAD_HEADER, f"unprotected header must be empty, has keys {sorted(map(repr, unprotected))}"
        )
    if not isinstance(payload, bytes):
        raise ProtocolError(Reason.BAD_STRUCTURE, "payload must be an attached bstr")
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        raise ProtocolError(Reason.BAD_STRUCTURE, f"signature must be a {SIGNATURE_SIZE}-byte bstr")


def _protected_kid(protected: bytes) -> bytes:
    """The kid of a protected header that holds alg EdDSA and the kid, nothing else."""
    header = cbor.loads(protected, what="protected header")
    if not isinstance(header, Mapping):
        raise ProtocolError(Reason.BAD_HEADER, "protected header is not a map")
    if HEADER_ALG not in header:
        raise ProtocolError(Reason.BAD_HEADER, "protected header has no alg (1)")
    alg = header[HEADER_ALG]
    if alg != ALG_EDDSA or isinstance(alg, bool):
        raise ProtocolError(Reason.UNSUPPORTED_ALG, f"alg {alg!r} is not supported, expected -8 (EdDSA)")
    extra = set(header) - {HEADER_ALG, HEADER_KID}
    if extra:
        raise ProtocolError(
            Reason.BAD_HEADER, f"protected header has unsupported labels {sorted(map(repr, extra))}"
        )
    kid = header.get(HEADER_KID)
    if not isinstance(kid, bytes) or len(kid) != KID_SIZE:
        raise ProtocolError(Reason.BAD_HEADER, f"kid must be a {KID_SIZE}-byte device id, got {kid!r}")
    return kid
