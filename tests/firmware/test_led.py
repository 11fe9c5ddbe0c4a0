"""Status LED patterns (firmware/leasechain/led.py), under MicroPython."""

from __future__ import annotations

import pytest

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import mptest, fakes
from leasechain import led
out = {}
for mode in (led.BOOTING, led.ONLINE, led.OFFLINE, led.ERROR):
    pin = fakes.FakePin()
    s = led.StatusLed(pin)
    s.mode = mode
    if mode == led.ONLINE:
        s.flash(1000)
    lit = []
    for t in range(0, 2000, 10):
        s.update(t)
        lit.append(pin.values[-1])
    out[mode] = lit
inv = fakes.FakePin()
led.StatusLed(inv, inverted=True)
out["inverted"] = inv.values
mptest.out(out)
"""


@pytest.mark.micropython
def test_led_patterns(micropython: MicroPython) -> None:
    got = run_mp(micropython, SCRIPT)
    assert set(got["booting"]) == {1}  # steady on
    assert sum(got["online"]) == 5  # one 50 ms flash at 1000 ms, dark otherwise
    assert got["online"][100:105] == [1] * 5
    assert sum(got["offline"]) == 100  # 1 Hz, half on
    assert got["offline"][:50] == [1] * 50
    assert got["error"][:20] == [1] * 10 + [0] * 10  # 5 Hz
    assert got["inverted"] == [0]  # active-low LED: lit while booting means pin low
