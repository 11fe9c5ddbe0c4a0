"""A conforming device's reading, read straight from its bytes: what its verdict needs, and nothing else.

A ledger judges every anchored message (:mod:`chain_client.ledger.verdict`);
for a batch of readings the general decoder (:func:`chain_client.message.decode`,
which builds the envelope, the payload map and a :class:`~chain_client.payload.Reading`)
costs about 40 % on top of the signature checks.  :func:`canonical_reading`
reads the one layout a conforming sender produces (docs/protocol.md: the
COSE_Sign1 envelope with its canonical protected header, a reading payload
with its keys in canonical order and shortest heads) in one slicing of the
envelope and one CBOR decoder pass, checking every key, type and range that
:func:`~chain_client.payload.from_map` checks, and returns the signed bytes,
the signature and the fields a verdict names.

It accepts only messages that :func:`~chain_client.message.decode` accepts,
with the same values (the test suite compares the two over valid, boundary
and corrupted messages); anything else, valid or not, gives ``None`` and goes
through ``decode``, which names the precise reason.
"""

from __future__ import annotations

from typing import NamedTuple

import cbor2

from chain_client import cbor, cose
from chain_client.payload import (
    DEVICE_ID_SIZE,
    DIGEST_SIZE,
    K_BOOT,
    K_DEVICE,
    K_DROPPED,
    K_PREV,
    K_READINGS,
    K_SEQ,
    K_SYNCED,
    K_TIME,
    K_TYPE,
    K_USAGE,
    K_VERSION,
    MAX_I64,
    MAX_READINGS,
    MAX_SENSOR_ID,
    MAX_U32,
    MAX_U64,
    MIN_I64,
    PROTOCOL_VERSION,
    READING_KEY_ORDER,
    TYPE_READING,
    USAGE_CYCLES,
    USAGE_KEY_ORDER,
    USAGE_RUN_SECONDS,
)

# Tag 18, array(4), then the protected header as a 21-byte bstr: {1: -8, 4: h'<16-byte kid>'}.
_HEAD = b"\xd2\x84" + bytes((0x40 | len(cose.PROTECTED_PREFIX) + cose.KID_SIZE,)) + cose.PROTECTED_PREFIX
_KID_START = len(_HEAD)
_KID_END = _KID_START + cose.KID_SIZE
_PAYLOAD_HEAD = _KID_END + 1  # after the empty unprotected map (0xa0)
_SIGNATURE_HEAD = b"\x58\x40"  # bstr(64)
# The Sig_structure: ["Signature1", protected, h'', payload], the protected bstr copied with its head.
_SIG_PREFIX = b"\x84\x6aSignature1"
_KEY_TYPES = (int,) * len(READING_KEY_ORDER)
_USAGE_KEY_TYPES = (int,) * len(USAGE_KEY_ORDER)


class CanonicalReading(NamedTuple):
    """What a reading's verdict needs, read from its exact bytes (its signature not checked yet)."""

    kid: bytes
    signature: bytes
    to_be_signed: bytes  # the Sig_structure the signature covers
    boot: int
    seq: int
    time: int
    synced: bool
    run_seconds: int


def _payload_at(data: bytes) -> tuple[bytes, int] | None:
    # The payload of a reading is 24..255 bytes: its head is 0x58 and one length byte (shortest form).
    if len(data) <= _PAYLOAD_HEAD + 1 or data[_PAYLOAD_HEAD - 1] != 0xA0 or data[_PAYLOAD_HEAD] != 0x58:
        return None
    length = data[_PAYLOAD_HEAD + 1]
    start = _PAYLOAD_HEAD + 2
    end = start + length
    if length < 24 or data[end : end + 2] != _SIGNATURE_HEAD or len(data) != end + 2 + cose.SIGNATURE_SIZE:
        return None
    return data[start:end], end


def _u(value: object, limit: int) -> bool:
    return type(value) is int and 0 <= value <= limit


def _readings_ok(readings: object) -> bool:
    if type(readings) is not dict or len(readings) > MAX_READINGS:
        return False
    for k, v in readings.items():
        if not (type(k) is int and 1 <= k <= MAX_SENSOR_ID and type(v) is int and MIN_I64 <= v <= MAX_I64):
            return False
    sensors = list(readings)
    return sensors == sorted(sensors)  # the canonical order of unsigned keys is numeric


def _bstr_ok(value: object, size: int) -> bool:
    return type(value) is bytes and len(value) == size


def _usage_ok(usage: object) -> bool:
    return (
        type(usage) is dict
        and tuple(usage) == USAGE_KEY_ORDER
        and tuple(map(type, usage)) == _USAGE_KEY_TYPES
        and _u(usage[USAGE_RUN_SECONDS], MAX_U64)
        and _u(usage[USAGE_CYCLES], MAX_U64)
    )


def _fields_ok(m: dict[object, object], kid: bytes) -> bool:
    kind, version = m[K_TYPE], m[K_VERSION]
    return (
        type(kind) is int
        and kind == TYPE_READING
        and type(version) is int
        and version == PROTOCOL_VERSION
        and _bstr_ok(m[K_DEVICE], DEVICE_ID_SIZE)
        and m[K_DEVICE] == kid
        and _u(m[K_BOOT], MAX_U32)
        and _u(m[K_SEQ], MAX_U32)
        and _u(m[K_TIME], MAX_U64)
        and type(m[K_SYNCED]) is bool
        and _readings_ok(m[K_READINGS])
        and _usage_ok(m[K_USAGE])
        and _bstr_ok(m[K_PREV], DIGEST_SIZE)
        and _u(m[K_DROPPED], MAX_U32)
    )


def canonical_reading(data: bytes) -> CanonicalReading | None:
    """The verdict's view of a reading in the canonical layout; ``None``: take the general decoder."""
    if type(data) is not bytes or len(data) > cose.MAX_MESSAGE_SIZE or not data.startswith(_HEAD):
        return None
    found = _payload_at(data)
    if found is None:
        return None
    payload, end = found
    try:
        m = cbor.strict_decode(payload)
    except Exception:  # noqa: BLE001 - the general decoder reports it
        return None
    # Keys compared by type too: CBOR true and 1.0 equal 1 as dictionary keys, yet are other items.
    if type(m) is not dict or tuple(m) != READING_KEY_ORDER or tuple(map(type, m)) != _KEY_TYPES:
        return None
    kid = data[_KID_START:_KID_END]
    # Every value checked as from_map checks it; then the bytes must be the shortest-head re-encoding.
    if not _fields_ok(m, kid) or cbor2.dumps(m) != payload:
        return None
    usage = m[K_USAGE]
    tbs = b"".join((_SIG_PREFIX, data[2:_KID_END], b"\x40", data[_PAYLOAD_HEAD:end]))
    return CanonicalReading(
        kid, data[end + 2 :], tbs, m[K_BOOT], m[K_SEQ], m[K_TIME], m[K_SYNCED], usage[USAGE_RUN_SECONDS]
    )
