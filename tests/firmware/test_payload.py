"""Payload builders (firmware/leasechain/payload.py) refuse what a verifier would, under MicroPython."""

from __future__ import annotations

import pytest

from chain_client import cbor as host_cbor
from chain_client.payload import Birth, Reading, from_map
from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import mptest
from leasechain import payload
dev = bytes(range(16))
prev = bytes(32)
def reading(**kw):
    a = {"device_id": dev, "boot": 1, "seq": 0, "time": 1764000000, "synced": True, "readings": {1: 2150},
         "run_seconds": 0, "cycles": 0, "prev": prev, "dropped": 0}
    for k in kw:
        a[k] = kw[k]
    return payload.reading(a["device_id"], a["boot"], a["seq"], a["time"], a["synced"], a["readings"],
                           a["run_seconds"], a["cycles"], a["prev"], a["dropped"])
cases = [
    {"boot": -1}, {"boot": 2**32}, {"seq": True}, {"time": 1.5}, {"device_id": dev[:15]}, {"prev": b"x"},
    {"dropped": 2**32}, {"run_seconds": 2**64}, {"readings": {0: 1}}, {"readings": {65536: 1}},
    {"readings": {1: 2**63}}, {"readings": {1: 21.5}}, {"readings": dict((i, 0) for i in range(1, 34))},
]
out = {"errors": []}
for kw in cases:
    try:
        reading(**kw)
        out["errors"].append("accepted")
    except ValueError as exc:
        out["errors"].append(str(exc))
out["edge"] = mptest.hx(reading(boot=2**32 - 1, seq=2**32 - 1, readings={65535: -(2**63), 1: 2**63 - 1},
                                run_seconds=2**64 - 1, synced=False))
for fw in ("", "x" * 33, 1):
    try:
        payload.birth(dev, 1, 0, True, fw, bytes(32))
        out["errors"].append("accepted")
    except ValueError as exc:
        out["errors"].append(str(exc))
out["birth"] = mptest.hx(payload.birth(dev, 1, 0, False, "x" * 32, bytes(32)))
mptest.out(out)
"""


@pytest.mark.micropython
def test_out_of_range_values_are_refused_before_signing(micropython: MicroPython) -> None:
    got = run_mp(micropython, SCRIPT)
    errors = got["errors"]
    assert errors[0] == "boot must be an integer in 0..4294967295, got -1"
    assert errors[1] == "boot must be an integer in 0..4294967295, got 4294967296"
    assert errors[2] == "seq must be an integer in 0..4294967295, got True"
    assert errors[3] == "time must be an integer in 0..18446744073709551615, got 1.5"
    assert errors[4].startswith("device id must be 16 bytes, got")
    assert errors[5] == "prev must be 32 bytes, got b'x'"
    assert errors[6].startswith("dropped must be an integer")
    assert errors[7].startswith("run_seconds must be an integer")
    assert errors[8] == "sensor id 0 is not allowed"
    assert errors[9] == "sensor id must be an integer in 0..65535, got 65536"
    assert errors[10] == f"reading of sensor 1 must be a 64-bit integer, got {2**63}"
    assert errors[11] == "reading of sensor 1 must be a 64-bit integer, got 21.5"
    assert errors[12] == "33 readings, limit 32"
    assert errors[13:] == [
        "firmware version must be 1..32 characters, got ''",
        f"firmware version must be 1..32 characters, got '{'x' * 33}'",
        "firmware version must be 1..32 characters, got 1",
    ]
    # The extremes the device accepts are what the host validator accepts, byte for byte.
    edge = from_map(host_cbor.loads(bytes.fromhex(got["edge"]), what="payload"))
    assert isinstance(edge, Reading)
    assert host_cbor.dumps(edge.to_map()).hex() == got["edge"]
    birth = from_map(host_cbor.loads(bytes.fromhex(got["birth"]), what="payload"))
    assert isinstance(birth, Birth)
    assert birth.firmware == "x" * 32
