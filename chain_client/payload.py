"""The signed payloads of docs/protocol.md: readings and birth announcements.

Payloads are CBOR maps with small unsigned integer keys.  ``from_map``
validates every key, type and range and names the offending key; nothing
outside the protocol is silently ignored, because a verifier that skips
unknown content could be shown one thing and sign off another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chain_client.errors import ProtocolError
from chain_client.reasons import Reason

PROTOCOL_VERSION = 1

TYPE_READING = 1
TYPE_BIRTH = 2

K_TYPE = 0
K_VERSION = 1
K_DEVICE = 2
K_BOOT = 3
K_SEQ = 4
K_TIME = 5
K_SYNCED = 6
K_READINGS = 7
K_USAGE = 8
K_PREV = 9
K_DROPPED = 10
K_FIRMWARE = 11
K_PUBLIC_KEY = 12

USAGE_RUN_SECONDS = 1
USAGE_CYCLES = 2

DEVICE_ID_SIZE = 16
DIGEST_SIZE = 32
PUBLIC_KEY_SIZE = 32
MAX_READINGS = 32
MAX_SENSOR_ID = 0xFFFF
MAX_U32 = 2**32 - 1
MAX_U64 = 2**64 - 1
MAX_I64 = 2**63 - 1
MIN_I64 = -(2**63)
MAX_FIRMWARE_LEN = 32
GENESIS_PREV = bytes(DIGEST_SIZE)

READING_KEYS = frozenset(
    {K_TYPE, K_VERSION, K_DEVICE, K_BOOT, K_SEQ, K_TIME, K_SYNCED, K_READINGS, K_USAGE, K_PREV, K_DROPPED}
)
BIRTH_KEYS = frozenset({K_TYPE, K_VERSION, K_DEVICE, K_BOOT, K_TIME, K_SYNCED, K_FIRMWARE, K_PUBLIC_KEY})
# The canonical (ascending) key order of each map, as a conforming encoder writes it.
READING_KEY_ORDER = tuple(sorted(READING_KEYS))
BIRTH_KEY_ORDER = tuple(sorted(BIRTH_KEYS))
USAGE_KEY_ORDER = (USAGE_RUN_SECONDS, USAGE_CYCLES)


@dataclass(frozen=True)
class Sensor:
    """One entry of the sensor registry: what a reading key means."""

    key: int
    name: str
    unit: str
    scale: int  # the wire integer is the physical value times ``scale``


SENSORS: dict[int, Sensor] = {
    s.key: s
    for s in (
        Sensor(1, "temperature", "degC", 100),
        Sensor(2, "humidity", "%RH", 100),
        Sensor(3, "pressure", "Pa", 1),
        Sensor(4, "current", "A", 1000),
        Sensor(5, "chip_temperature", "degC", 100),
        Sensor(6, "running", "bool", 1),
    )
}


@dataclass(frozen=True)
class Reading:
    """One periodic, signed reading of a device (payload type 1)."""

    device_id: bytes
    boot: int
    seq: int
    time: int
    time_synced: bool
    readings: Mapping[int, int] = field(default_factory=dict)
    run_seconds: int = 0
    cycles: int = 0
    prev: bytes = GENESIS_PREV
    dropped: int = 0

    def to_map(self) -> dict[int, Any]:
        """The payload map, ready for canonical encoding."""
        return {
            K_TYPE: TYPE_READING,
            K_VERSION: PROTOCOL_VERSION,
            K_DEVICE: self.device_id,
            K_BOOT: self.boot,
            K_SEQ: self.seq,
            K_TIME: self.time,
            K_SYNCED: self.time_synced,
            K_READINGS: dict(self.readings),
            K_USAGE: {USAGE_RUN_SECONDS: self.run_seconds, USAGE_CYCLES: self.cycles},
            K_PREV: self.prev,
            K_DROPPED: self.dropped,
        }

    def physical(self) -> dict[str, float]:
        """Readings of known sensors in their physical units, keyed by sensor name."""
        out: dict[str, float] = {}
        for key, value in self.readings.items():
            sensor = SENSORS.get(key)
            if sensor is not None:
                out[sensor.name] = value / sensor.scale
        return out


@dataclass(frozen=True)
class Birth:
    """A device's signed announcement of itself after boot (payload type 2)."""

    device_id: bytes
    boot: int
    time: int
    time_synced: bool
    firmware: str
    public_key: bytes

    def to_map(self) -> dict[int, Any]:
        """The payload map, ready for canonical encoding."""
        return {
            K_TYPE: TYPE_BIRTH,
            K_VERSION: PROTOCOL_VERSION,
            K_DEVICE: self.device_id,
            K_BOOT: self.boot,
            K_TIME: self.time,
            K_SYNCED: self.time_synced,
            K_FIRMWARE: self.firmware,
            K_PUBLIC_KEY: self.public_key,
        }


def _bad(detail: str) -> ProtocolError:
    return ProtocolError(Reason.BAD_PAYLOAD, detail)


def _uint(m: Mapping[Any, Any], key: int, name: str, limit: int) -> int:
    value = m[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise _bad(f"{name} ({key}) must be an unsigned integer <= {limit}, got {value!r}")
    return value


def _bstr(m: Mapping[Any, Any], key: int, name: str, size: int) -> bytes:
    value = m[key]
    if not isinstance(value, bytes) or len(value) != size:
        raise _bad(f"{name} ({key}) must be a {size}-byte bstr, got {value!r}")
    return value


def _bool(m: Mapping[Any, Any], key: int, name: str) -> bool:
    value = m[key]
    if not isinstance(value, bool):
        raise _bad(f"{name} ({key}) must be a boolean, got {value!r}")
    return value


def _check_keys(m: Mapping[Any, Any], expected: frozenset[int], kind: str) -> None:
    missing = sorted(expected - set(m))
    if missing:
        raise _bad(f"{kind} payload lacks keys {missing}")
    extra = set(m) - expected
    if extra:
        raise _bad(f"{kind} payload has unknown keys {sorted(map(repr, extra))}")


def _readings(value: Any) -> dict[int, int]:  # noqa: ANN401 - validating untyped CBOR
    if not isinstance(value, Mapping):
        raise _bad(f"readings ({K_READINGS}) must be a map, got {value!r}")
    if len(value) > MAX_READINGS:
        raise _bad(f"readings ({K_READINGS}) has {len(value)} entries, limit is {MAX_READINGS}")
    out: dict[int, int] = {}
    for key, reading in value.items():
        if isinstance(key, bool) or not isinstance(key, int) or not 1 <= key <= MAX_SENSOR_ID:
            raise _bad(f"sensor id {key!r} must be an integer in 1..{MAX_SENSOR_ID}")
        if isinstance(reading, bool) or not isinstance(reading, int) or not MIN_I64 <= reading <= MAX_I64:
            raise _bad(f"reading of sensor {key} must be a 64-bit signed integer, got {reading!r}")
        out[key] = reading
    return out


def _usage(value: Any) -> tuple[int, int]:  # noqa: ANN401 - validating untyped CBOR
    if not isinstance(value, Mapping) or set(value) != {USAGE_RUN_SECONDS, USAGE_CYCLES}:
        raise _bad(f"usage ({K_USAGE}) must be a map with exactly keys 1 and 2, got {value!r}")
    return (
        _uint(value, USAGE_RUN_SECONDS, "usage run-seconds", MAX_U64),
        _uint(value, USAGE_CYCLES, "usage cycles", MAX_U64),
    )


def _header(m: Any) -> int:  # noqa: ANN401 - validating untyped CBOR
    if not isinstance(m, Mapping):
        raise _bad(f"payload must be a map, got {type(m).__name__}")
    if K_VERSION not in m or K_TYPE not in m:
        raise _bad("payload lacks its type (0) or version (1)")
    version = m[K_VERSION]
    if version != PROTOCOL_VERSION or isinstance(version, bool):
        raise ProtocolError(
            Reason.UNSUPPORTED_VERSION,
            f"protocol version {version!r}, this verifier knows {PROTOCOL_VERSION}",
        )
    kind = m[K_TYPE]
    if kind not in (TYPE_READING, TYPE_BIRTH) or isinstance(kind, bool):
        raise _bad(f"payload type {kind!r} is unknown, expected 1 (reading) or 2 (birth)")
    return int(kind)


def from_map(m: Any) -> Reading | Birth:  # noqa: ANN401 - validating untyped CBOR
    """Validate a decoded payload map and build its :class:`Reading` or :class:`Birth`."""
    kind = _header(m)
    if kind == TYPE_BIRTH:
        _check_keys(m, BIRTH_KEYS, "birth")
        firmware = m[K_FIRMWARE]
        if not isinstance(firmware, str) or not 0 < len(firmware) <= MAX_FIRMWARE_LEN:
            raise _bad(
                f"firmware ({K_FIRMWARE}) must be text of 1..{MAX_FIRMWARE_LEN} chars, got {firmware!r}"
            )
        return Birth(
            device_id=_bstr(m, K_DEVICE, "device id", DEVICE_ID_SIZE),
            boot=_uint(m, K_BOOT, "boot", MAX_U32),
            time=_uint(m, K_TIME, "time", MAX_U64),
            time_synced=_bool(m, K_SYNCED, "time synced"),
            firmware=firmware,
            public_key=_bstr(m, K_PUBLIC_KEY, "public key", PUBLIC_KEY_SIZE),
        )
    _check_keys(m, READING_KEYS, "reading")
    run_seconds, cycles = _usage(m[K_USAGE])
    return Reading(
        device_id=_bstr(m, K_DEVICE, "device id", DEVICE_ID_SIZE),
        boot=_uint(m, K_BOOT, "boot", MAX_U32),
        seq=_uint(m, K_SEQ, "seq", MAX_U32),
        time=_uint(m, K_TIME, "time", MAX_U64),
        time_synced=_bool(m, K_SYNCED, "time synced"),
        readings=_readings(m[K_READINGS]),
        run_seconds=run_seconds,
        cycles=cycles,
        prev=_bstr(m, K_PREV, "previous digest", DIGEST_SIZE),
        dropped=_uint(m, K_DROPPED, "dropped", MAX_U32),
    )
