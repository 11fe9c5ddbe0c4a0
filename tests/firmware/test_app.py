"""The device's loop (firmware/leasechain/app.py) under MicroPython, with fake sensors, link and clock.

Every message the device emits is checked on the host with chain_client's
verifier; reboots run the interpreter again on the same flash directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chain_client import message as host_message
from firmware.leasechain import VERSION
from harness.micropython import MicroPython
from tests.firmware.chain import assert_chain, assert_one_content_per_number, births, readings
from tests.firmware.device import run_cpython, run_mp

VALUES = {1: 2150, 2: 4512, 3: 101325, 4: 3250, 5: 4100, 6: 1}

BOOT = """
import mptest, rig
cfg = mptest.inp()
r = rig.Rig(t=cfg["t"], up=cfg["up"], capacity=cfg.get("capacity", 16))
r.start()
r.device.connect()
for _ in range(cfg["n"]):
    r.step()
mptest.out(r.report())
"""


def _boot(micropython: MicroPython, flash: Path, t: int, n: int, up: bool = True) -> Any:
    return run_mp(micropython, BOOT, {"t": t, "n": n, "up": up}, flash=flash)


@pytest.mark.micropython
def test_reboots_keep_key_and_chain_and_count_boots(micropython: MicroPython, tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    first = _boot(micropython, flash, 1764000000, 3)
    second = _boot(micropython, flash, 1764001000, 3, up=False)  # broker down: readings stay in flash
    third = _boot(micropython, flash, 1764002000, 2)
    public = bytes.fromhex(first["public_key"])

    # First boot: key generated from the RNG and stored; later boots load it.
    assert (flash / "data" / "key.bin").exists()
    assert any(line.startswith("created device key") for line in first["log"])
    assert not any(line.startswith("created device key") for line in second["log"] + third["log"])
    assert second["public_key"] == third["public_key"] == first["public_key"]
    assert [r["boot"] for r in (first, second, third)] == [1, 2, 3]

    # Birth and status on every connection, with the last will set first.
    status_topic = f"leasechain/v1/dev/{first['device']}/status"
    for run in (first, third):
        assert run["wills"] == [[status_topic, b"offline".hex()]]
        assert run["sent"][0] == [status_topic, b"online".hex(), True]
        assert run["sent"][1][0].endswith("/birth")
    assert second["sent"] == []
    born = births(first["sent"] + third["sent"])
    assert [b.boot for b in born] == [1, 3]
    for b in born:
        assert b.firmware == VERSION
        assert b.public_key == public

    # Sequence restarts every boot, the chain runs across boots, boot 2 is delivered in boot 3.
    got = readings(first["sent"] + third["sent"], public)
    expected = [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2), (3, 0), (3, 1)]
    assert [(b.boot, b.seq) for _, b in got] == expected
    assert_one_content_per_number(got)
    assert_chain(got)
    assert [raw.hex() for raw, _ in got[3:6]] == second["signed"]
    bodies = [b for _, b in got]
    assert all(dict(b.readings) == VALUES for b in bodies)
    assert [b.run_seconds for b in bodies] == [60 * (i + 1) for i in range(8)]  # usage survives reboots
    assert [b.cycles for b in bodies] == [3 * (i + 1) for i in range(8)]
    assert [b.time for b in bodies[:3]] == [1764000060, 1764000120, 1764000180]
    assert all(b.dropped == 0 and b.time_synced for b in bodies)
    assert third["pending"] == 0


OUTAGE = """
import mptest, rig
r = rig.Rig(capacity=4)
r.start()
r.device.connect()
r.step()
r.step()
r.transport.up = False            # broker gone
for _ in range(7):
    r.step()
offline = r.report()
r.transport.up = True
r.device.connect()                # reconnect: birth, then the buffer oldest-first
r.step()
r.transport.up = False
for _ in range(3):
    r.step()
r.transport.up = True
r.transport.fail_after = 3        # status, birth, one reading: then the link breaks mid-flush
r.device.connect()
partial = r.report()
r.transport.up = True
r.transport.fail_after = None
r.device.connect()
mptest.out({"offline": offline, "end": r.report(), "partial": partial})
"""


@pytest.mark.micropython
def test_outage_fills_the_buffer_drops_oldest_and_flushes_in_order(micropython: MicroPython) -> None:
    _check_outage(run_mp(micropython, OUTAGE))


def _check_outage(got: Any) -> None:
    offline, end = got["offline"], got["end"]
    assert offline["pending"] == 4
    assert not offline["online"]
    assert sum(line == "outbox full: dropped the oldest reading" for line in offline["log"]) == 3
    public = bytes.fromhex(end["public_key"])
    signed = [bytes.fromhex(h) for h in end["signed"]]
    delivered = readings(end["sent"], public)
    # Seq 2, 3, 4 fell out of the 4-slot buffer; each reading that pushed one out says so.
    assert [b.seq for _, b in delivered] == [0, 1, 5, 6, 7, 8, 9, 10, 11, 12]
    assert [b.dropped for _, b in delivered] == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0]
    assert [raw for raw, _ in delivered] == [signed[i] for i in (0, 1, 5, 6, 7, 8, 9, 10, 11, 12)]
    assert_one_content_per_number(delivered)
    # The whole signed sequence is one chain; what was delivered is it minus the drops.
    everything = [(raw, host_message.verify(raw, public).body) for raw in signed]
    assert_chain(everything)  # type: ignore[arg-type]  # verify returns Reading here
    # After the reconnect the birth goes first, then the backlog oldest-first.
    kinds = [t.rsplit("/", 1)[1] for t, _, _ in end["sent"]]
    assert kinds[:5] == ["status", "birth", "data", "data", "status"]
    # A flush cut by a broken link resumes where it stopped, sending nothing twice.
    assert got["partial"]["pending"] == 2
    assert not got["partial"]["online"]
    assert end["pending"] == 0
    assert sum(k == "birth" for k in kinds) == 4


POWER_CUT = """
import os, mptest, rig, fakes
from leasechain.store import FileStore

def listing(root):
    names = []
    for name in os.listdir(root):
        names.append(name)
    try:
        for name in os.listdir(root + "/out"):
            names.append("out/" + name)
    except OSError:
        pass
    names.sort()
    return names

cases = []
for phase, cut_at in mptest.inp():
    root = "cut-%s-%d" % (phase, cut_at)
    store = fakes.CutStore(root)
    a = rig.Rig(store=store, capacity=2 if phase == "full" else 16)
    if phase == "boot":
        store.arm(cut_at)
    where = None
    try:
        a.start()
        a.device.connect()
        a.step()
        a.step()
        if phase == "step":
            store.arm(cut_at)
        a.step()
        if phase in ("offline", "full"):
            a.transport.up = False
            a.step()
            a.step()
            store.arm(cut_at)
            a.step()
    except fakes.PowerCutError as exc:
        where = str(exc)
    left = listing(root)
    # Power back: a new Device on the same flash, nothing kept in RAM.
    b = rig.Rig(root=root, t=a.clock.t + 5)
    b.start()
    b.device.connect()
    b.step()
    b.step()
    cases.append({"phase": phase, "cut_at": cut_at, "where": where, "ops": store.log, "left": left,
                  "after": listing(root), "a": a.report(), "b": b.report()})
mptest.out(cases)
"""

# Boot: key write + rename, state write + rename.  Step: outbox write + rename,
# state write + rename, remove after delivery; the last step value never cuts.
CUTS = [("boot", k) for k in range(1, 5)]
CUTS += [(phase, k) for phase in ("step", "offline") for k in range(1, 7)]
CUTS += [("full", k) for k in range(1, 6)]  # the buffer is full: the fifth operation removes the oldest


def _check_power_cut_case(case: dict[str, Any]) -> None:
    name = f"{case['phase']} cut at op {case['cut_at']} ({case['where']})"
    a, b = case["a"], case["b"]
    cut = case["where"] is not None
    assert cut == (case["cut_at"] <= len(case["ops"])), name
    assert not [n for n in case["after"] if n.endswith(".tmp")], name
    public = bytes.fromhex(b["public_key"])
    if a["public_key"]:  # the key file was complete before the cut: the device keeps its identity
        assert a["public_key"] == b["public_key"], name
    assert b["boot"] == (1 if case["phase"] == "boot" else 2), name
    before = readings(a["sent"], public)
    after = readings(b["sent"], public)
    both = before + after
    assert_one_content_per_number(both)
    signed = [bytes.fromhex(h) for h in a["signed"] + b["signed"]]
    everything = both + [(raw, host_message.verify(raw, public).body) for raw in signed]
    # One chain without a hole through everything signed and everything sent: a
    # reading whose commit was cut was never sent, and boot 2 chains onto the last
    # committed one.
    assert_chain(everything)  # type: ignore[arg-type]  # verify gives readings here
    assert b["pending"] == 0, name
    # Every committed reading reaches the broker (again, if its removal was cut),
    # except those the full buffer dropped, which the readings sent report.
    lost = set(signed) - {raw for raw, _ in both}
    assert len(lost) == sum(body.dropped for _, body in after + before), name


@pytest.mark.micropython
def test_power_cut_at_every_file_operation_leaves_valid_state(micropython: MicroPython) -> None:
    _check_power_cuts(run_mp(micropython, POWER_CUT, CUTS))


def _check_power_cuts(cases: list[dict[str, Any]]) -> None:
    assert len(cases) == len(CUTS)
    for case in cases:
        _check_power_cut_case(case)
    cut = {(c["phase"], c["cut_at"]): c for c in cases}
    assert cut[("boot", 1)]["where"].startswith("during write of cut-boot-1/key.bin.tmp")
    assert "key.bin.tmp" in cut[("boot", 1)]["left"]
    assert cut[("step", 1)]["where"].startswith("during write of cut-step-1/out/2.tmp")
    assert cut[("step", 3)]["where"].startswith("during write of cut-step-3/state.bin.tmp")
    assert cut[("step", 5)]["where"].startswith("before remove of cut-step-5/out/2")
    assert cut[("step", 6)]["where"] is None
    assert cut[("full", 5)]["where"].startswith("before remove of cut-full-5/out/")


CUT_RUN = """
import mptest, rig, fakes
store = fakes.CutStore("data")
r = rig.Rig(store=store, t=mptest.inp()["t"])
r.start()
r.device.connect()
r.step()
mptest.out(r.report())
store.arm(3)        # the state write of the next reading: the board dies half-way
r.step()
"""


@pytest.mark.micropython
def test_power_cut_between_interpreter_runs(micropython: MicroPython, tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    first = _boot(micropython, flash, 1764000000, 2)
    cut = run_mp(micropython, CUT_RUN, {"t": 1764001000}, flash=flash, expect_status=1)
    assert (flash / "data" / "state.bin.tmp").exists()  # the half-written record
    after = _boot(micropython, flash, 1764002000, 2)
    assert [first["boot"], cut["boot"], after["boot"]] == [1, 2, 3]
    assert not (flash / "data" / "state.bin.tmp").exists()
    public = bytes.fromhex(after["public_key"])
    got = readings(first["sent"] + cut["sent"] + after["sent"], public)
    # Boot 2 committed and sent seq 0; its seq 1 died with the state write and was
    # never sent; boot 3 chains onto boot 2's seq 0.
    assert [(b.boot, b.seq) for _, b in got] == [(1, 0), (1, 1), (2, 0), (3, 0), (3, 1)]
    assert_chain(got)
    assert after["pending"] == 0


@pytest.mark.parametrize("impl", ["micropython", "cpython"])
def test_the_same_loop_runs_under_cpython(micropython: MicroPython, tmp_path: Path, impl: str) -> None:
    data = {"t": 1764000000, "n": 3, "up": True}
    if impl == "micropython":
        got = run_mp(micropython, BOOT, data, flash=tmp_path)
    else:
        got = run_cpython(BOOT, data, flash=tmp_path)
    public = bytes.fromhex(got["public_key"])
    assert [b.seq for _, b in readings(got["sent"], public)] == [0, 1, 2]


def test_outage_and_power_cuts_under_cpython(tmp_path: Path) -> None:
    # The fleet simulator runs these modules under CPython: the same behaviour there.
    _check_outage(run_cpython(OUTAGE, flash=tmp_path / "outage"))
    _check_power_cuts(run_cpython(POWER_CUT, CUTS, flash=tmp_path / "cuts"))


SENSOR_FAULTS = """
import mptest, rig, fakes
r = rig.Rig()
broken = fakes.FakeSensor({}, name="bme280")
broken.broken = True
bad = {1024: 21.5, 1025: True, 0: 5, 1026: 2**70, 1027: -3, "x": 1}
odd = fakes.FakeSensor(bad, usage=(-1, 2), name="odd")
vendor = fakes.FakeSensor(dict((2000 + i, i) for i in range(30)), usage=None, name="vendor")
r.device.sensors.extend([broken, odd, vendor])
r.start()
r.device.connect()
r.step()
out = r.report()
out["errors"] = r.device.errors
mptest.out(out)
"""


@pytest.mark.micropython
def test_failing_sensors_and_bad_values_leave_the_rest_signed(micropython: MicroPython) -> None:
    got = run_mp(micropython, SENSOR_FAULTS)
    ((_, body),) = readings(got["sent"], bytes.fromhex(got["public_key"]))
    # 6 + 1 + 30 good values: the 32 lowest ids are signed, the rest left out.
    vendor = {2000 + i: i for i in range(25)}
    assert dict(body.readings) == {**VALUES, 1027: -3, **vendor}
    assert body.run_seconds == 60  # the odd sensor's negative run time is left out
    assert body.cycles == 3
    assert got["errors"] == 9  # one read failure, five bad values, two bad usages, too many values
    log = got["log"]
    assert "sensor bme280 failed: OSError(19,)" in log
    assert "sensor odd gave 1024 = 21.5, not a reading; left out" in log
    assert "sensor odd gave usage (-1, 2), expected two counts >= 0; left out" in log
    assert "sensor vendor gave usage None, expected two counts >= 0; left out" in log
    assert "37 readings, the protocol carries 32: left out ids [2025, 2026, 2027, 2028, 2029]" in log


STALE = """
import os, mptest, rig
os.mkdir("data")
open("data/state.bin.tmp", "wb").write(b"half a record")
open("data/usage.bin.tmp", "wb").write(b"from an older firmware")
r = rig.Rig()
r.start()
mptest.out(sorted(os.listdir("data")))
"""


@pytest.mark.micropython
def test_boot_removes_leftovers_of_cut_writes(micropython: MicroPython, tmp_path: Path) -> None:
    assert run_mp(micropython, STALE, flash=tmp_path) == ["key.bin", "out", "state.bin"]


FLASH_FULL = """
import mptest, rig, fakes
store = fakes.CutStore("data")
r = rig.Rig(store=store)
r.start()
r.transport.up = False
store.full = "out"                # the outbox can take no more: ENOSPC
r.step()
r.step()
store.full = None
r.transport.up = True
r.device.connect()
r.step()
mptest.out(r.report())
"""


@pytest.mark.micropython
def test_a_reading_the_flash_cannot_hold_is_counted_as_dropped(micropython: MicroPython) -> None:
    got = run_mp(micropython, FLASH_FULL)
    public = bytes.fromhex(got["public_key"])
    ((raw, body),) = readings(got["sent"], public)
    assert body.seq == 2
    assert body.dropped == 2
    signed = [bytes.fromhex(h) for h in got["signed"]]
    assert raw == signed[2]
    assert_chain([(m, host_message.verify(m, public).body) for m in signed])  # type: ignore[misc]
    assert sum("outbox write failed" in line for line in got["log"]) == 2
