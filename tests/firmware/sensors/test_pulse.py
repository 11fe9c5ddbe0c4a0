"""Pulse counter (firmware/leasechain/sensors/pulse.py) on a fake pin, under MicroPython."""

from __future__ import annotations

import pytest

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import mptest, fakes
from leasechain import ticks
from leasechain.sensors.pulse import PulseCounter
clock = fakes.FakeTicks(ticks.ticks_add(0, -50))   # wraps during the test
guard = []
pin = fakes.FakePin()
counter = PulseCounter(pin, debounce_ms=20, trigger=2, ticks_ms=clock,
                       irq_guard=(lambda: guard.append("off") or 7, lambda s: guard.append(s)))
out = {"trigger": pin.trigger, "usage": []}
for at in mptest.inp():
    if at == "read":
        out["usage"].append(list(counter.usage()))
        continue
    clock.now = ticks.ticks_add(ticks.ticks_add(0, -50), at)
    pin.edge()
out["guard"] = guard
out["reading"] = counter.read()
mptest.out(out)
"""


@pytest.mark.micropython
def test_cycles_are_counted_debounced_and_moved_into_usage(micropython: MicroPython) -> None:
    # Edges at these milliseconds; a bounce within 20 ms of a counted edge is ignored.
    events = [0, 5, 19, 30, 45, 60, "read", 1000, 1010, 2000, 2019, 2040, "read", "read"]
    got = run_mp(micropython, SCRIPT, events)
    assert got["trigger"] == 2
    assert got["usage"] == [[0, 3], [0, 3], [0, 0]]
    assert got["guard"] == ["off", 7] * 3  # interrupts held off while the count is taken
    assert got["reading"] == {}
