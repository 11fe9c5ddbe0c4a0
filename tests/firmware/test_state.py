"""Persisted counters (firmware/leasechain/state.py): record layout, CRC and corruption, under MicroPython."""

from __future__ import annotations

import binascii
import struct
from pathlib import Path

import pytest

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import mptest
from leasechain import state
from leasechain.store import FileStore
store = FileStore("s")
out = {"none": state.load(store) is None}
st = state.State()
st.boot, st.seq, st.dropped = 4294967295, 7, 3
st.run_seconds, st.cycles = 2**64 - 1, 12345
st.head, st.tail = 10, 20
st.prev = bytes(range(32))
state.save(store, st)
back = state.load(store)
out["record"] = mptest.hx(store.read(state.STATE_FILE))
b = back
out["back"] = [b.boot, b.seq, b.dropped, b.run_seconds, b.cycles, b.head, b.tail, mptest.hx(b.prev)]
errors = []
for data in mptest.inp():
    try:
        state.unpack(mptest.unhx(data))
        errors.append("ok")
    except state.StateError as exc:
        errors.append(str(exc))
out["errors"] = errors
mptest.out(out)
"""


def _record(magic: bytes = b"LCS1", head: int = 10, tail: int = 20) -> bytes:
    body = struct.pack(
        "<4sIIIQQQQ32s", magic, 4294967295, 7, 3, 2**64 - 1, 12345, head, tail, bytes(range(32))
    )
    return body + struct.pack("<I", binascii.crc32(body))


@pytest.mark.micropython
def test_state_round_trips_and_refuses_damage(micropython: MicroPython) -> None:
    good = _record()
    flipped = bytearray(good)
    flipped[5] ^= 0x80
    cases = [good, good[:-1], bytes(flipped), _record(magic=b"XXXX"), _record(head=21, tail=20)]
    got = run_mp(micropython, SCRIPT, [c.hex() for c in cases])
    assert got["none"] is True
    assert got["record"] == good.hex()  # the documented layout, byte for byte
    assert got["back"] == [4294967295, 7, 3, 2**64 - 1, 12345, 10, 20, bytes(range(32)).hex()]
    assert got["errors"] == [
        "ok",
        "state record is 83 bytes, expected 84",
        "state record fails its CRC",
        "state record has magic b'XXXX', expected b'LCS1'",
        "state record has outbox head 21 after tail 20",
    ]


DEVICE = """
import mptest, rig
from leasechain.state import StateError
r = rig.Rig()
try:
    r.start()
    mptest.out("started")
except StateError as exc:
    mptest.out(str(exc))
"""


@pytest.mark.micropython
def test_a_device_with_a_damaged_state_file_refuses_to_guess(
    micropython: MicroPython, tmp_path: Path
) -> None:
    run_mp(micropython, DEVICE, flash=tmp_path)
    path = tmp_path / "data" / "state.bin"
    data = bytearray(path.read_bytes())
    data[8] ^= 1  # the sequence number: reusing a wrong one would sign two readings per number
    path.write_bytes(bytes(data))
    assert run_mp(micropython, DEVICE, flash=tmp_path) == "state record fails its CRC"
