"""The signed payloads of docs/protocol.md section 3: readings and birth messages.

Values are checked here, before signing, against the same limits a verifier
applies, so the device never signs something a gateway must reject.
"""

from . import cbor
from .const import const

# Private (_) on purpose: MicroPython's compiler folds these into the code and keeps no
# global, nor its name, on the heap (const.py).
_PROTOCOL_VERSION = const(1)
_TYPE_READING = const(1)
_TYPE_BIRTH = const(2)

_K_TYPE = const(0)
_K_VERSION = const(1)
_K_DEVICE = const(2)
_K_BOOT = const(3)
_K_SEQ = const(4)
_K_TIME = const(5)
_K_SYNCED = const(6)
_K_READINGS = const(7)
_K_USAGE = const(8)
_K_PREV = const(9)
_K_DROPPED = const(10)
_K_FIRMWARE = const(11)
_K_PUBLIC_KEY = const(12)

_USAGE_RUN_SECONDS = const(1)
_USAGE_CYCLES = const(2)

# Sensor registry (docs/protocol.md section 3.3): id -> wire integer.
_SENSOR_TEMPERATURE = const(1)  # centi-degC
_SENSOR_HUMIDITY = const(2)  # centi-%RH
_SENSOR_PRESSURE = const(3)  # Pa
_SENSOR_CURRENT = const(4)  # mA (RMS)
_SENSOR_CHIP_TEMPERATURE = const(5)  # centi-degC
_SENSOR_RUNNING = const(6)  # 0 / 1

GENESIS_PREV = bytes(32)
MAX_READINGS = const(32)
_MAX_FIRMWARE_LEN = const(32)
_U32 = const(0xFFFFFFFF)
_U64 = const(0xFFFFFFFFFFFFFFFF)
_I64_MIN = const(-(2**63))
_I64_MAX = const(2**63 - 1)


def _uint(name, value, limit):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > limit:
        raise ValueError("%s must be an integer in 0..%d, got %r" % (name, limit, value))


def _bstr(name, value, size):
    if not isinstance(value, (bytes, bytearray)) or len(value) != size:
        raise ValueError("%s must be %d bytes, got %r" % (name, size, value))


def check_reading(sensor, value):
    """Raise ValueError naming what is wrong unless ``sensor`` is an id in 1..65535, ``value`` an int64."""
    _uint("sensor id", sensor, 0xFFFF)
    if sensor == 0:
        raise ValueError("sensor id 0 is not allowed")
    if isinstance(value, bool) or not isinstance(value, int) or not _I64_MIN <= value <= _I64_MAX:
        raise ValueError("reading of sensor %d must be a 64-bit integer, got %r" % (sensor, value))


def reading(device_id, boot, seq, time, synced, readings, run_seconds, cycles, prev, dropped):
    """Encoded payload of a reading (type 1)."""
    _bstr("device id", device_id, 16)
    _uint("boot", boot, _U32)
    _uint("seq", seq, _U32)
    _uint("time", time, _U64)
    _uint("run_seconds", run_seconds, _U64)
    _uint("cycles", cycles, _U64)
    _bstr("prev", prev, 32)
    _uint("dropped", dropped, _U32)
    if len(readings) > MAX_READINGS:
        raise ValueError("%d readings, limit %d" % (len(readings), MAX_READINGS))
    for sensor in readings:
        check_reading(sensor, readings[sensor])
    return cbor.dumps(
        {
            _K_TYPE: _TYPE_READING,
            _K_VERSION: _PROTOCOL_VERSION,
            _K_DEVICE: bytes(device_id),
            _K_BOOT: boot,
            _K_SEQ: seq,
            _K_TIME: time,
            _K_SYNCED: bool(synced),
            _K_READINGS: readings,
            _K_USAGE: {_USAGE_RUN_SECONDS: run_seconds, _USAGE_CYCLES: cycles},
            _K_PREV: bytes(prev),
            _K_DROPPED: dropped,
        }
    )


def birth(device_id, boot, time, synced, firmware, public_key):
    """Encoded payload of a birth message (type 2)."""
    _bstr("device id", device_id, 16)
    _uint("boot", boot, _U32)
    _uint("time", time, _U64)
    _bstr("public key", public_key, 32)
    if not isinstance(firmware, str) or not 0 < len(firmware) <= _MAX_FIRMWARE_LEN:
        raise ValueError("firmware version must be 1..%d characters, got %r" % (_MAX_FIRMWARE_LEN, firmware))
    return cbor.dumps(
        {
            _K_TYPE: _TYPE_BIRTH,
            _K_VERSION: _PROTOCOL_VERSION,
            _K_DEVICE: bytes(device_id),
            _K_BOOT: boot,
            _K_TIME: time,
            _K_SYNCED: bool(synced),
            _K_FIRMWARE: firmware,
            _K_PUBLIC_KEY: bytes(public_key),
        }
    )
