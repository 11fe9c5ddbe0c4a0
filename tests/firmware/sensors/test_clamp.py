"""Current clamp driver (firmware/leasechain/sensors/clamp.py) on a fake ADC, under MicroPython."""

from __future__ import annotations

import math
from typing import Any

import pytest

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

BIAS_UV = 1_650_000  # half of 3.3 V
MA_PER_VOLT = 30_000  # SCT-013-030: 30 A per volt RMS


def _sine(peak_uv: int, per_cycle: int = 20, cycles: int = 8) -> list[int]:
    n = per_cycle * cycles
    return [BIAS_UV + round(peak_uv * math.sin(2 * math.pi * i / per_cycle)) for i in range(n)]


SCRIPT = """
import time, mptest, buses
from leasechain.sensors.clamp import CurrentClamp
from leasechain import ticks
data = mptest.inp()
out = {}
out["rms"] = [CurrentClamp(buses.FakeAdc(s), 30000, 500, 160).measure() for s in data["waves"]]

on = buses.FakeAdc(data["on"])
off = buses.FakeAdc(data["off"])
clamp = CurrentClamp(on, 30000, 500, 160)
# Start 3 s before the tick counter wraps: run time must not care.
now = ticks.ticks_add(0, -3000)
log = []
for second in range(200):
    clamp._adc = on if 10 <= second < 100 or 150 <= second < 160 else off
    clamp.poll(now)
    if second in (59, 119, 179):
        log.append([clamp.read(), clamp.usage()])
    now = ticks.ticks_add(now, 1000)
out["periods"] = [[r[4], r[6], u[0], u[1]] for r, u in log]
fresh = CurrentClamp(buses.FakeAdc(data["on"]), 30000, 500, 160)
out["unpolled"] = fresh.read()
try:
    CurrentClamp(on, 30000, 500, 1)
except ValueError as exc:
    out["error"] = str(exc)
mptest.out(out)
"""


@pytest.fixture(scope="module")
def driven(micropython: MicroPython) -> Any:
    data = {
        "waves": [_sine(1_000_000), _sine(100_000), _sine(0), _sine(2_000_000, per_cycle=32, cycles=5)],
        "on": _sine(1_000_000),
        "off": _sine(5_000),  # a little noise, far below the threshold
    }
    return run_mp(micropython, SCRIPT, data)


@pytest.mark.micropython
def test_rms_current_of_a_sine(driven: Any) -> None:
    # RMS = peak / sqrt(2): 1 V peak = 0.7071 V RMS = 21.213 A through a 30 A/V clamp.
    expected = [round(peak / 1e6 / math.sqrt(2) * MA_PER_VOLT) for peak in (1_000_000, 100_000, 0, 2_000_000)]
    for got, want in zip(driven["rms"], expected, strict=True):
        assert abs(got - want) <= 2, (got, want)


@pytest.mark.micropython
def test_run_seconds_and_running_flag_over_periods(driven: Any) -> None:
    first, second, third = driven["periods"]
    # Running from second 10 to 100 (across the tick wrap), and 150 to 160.
    # [current mA, running, run seconds, cycles] per period.
    assert first[1:3] == [1, 49]
    assert first[0] > 20_000
    assert second[1:3] == [1, 41]  # stopped at 100: it still ran in this period
    assert third[1:3] == [1, 10]
    assert third[0] < 500
    assert first[3] == second[3] == third[3] == 0  # no cycles from a clamp
    assert driven["unpolled"] == {"4": 21213, "6": 1}
    assert driven["error"] == "current clamp needs at least 2 samples, got 1"
