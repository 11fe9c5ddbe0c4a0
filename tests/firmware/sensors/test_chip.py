"""Chip temperature (firmware/leasechain/sensors/chip.py) from fake esp32 readings, under MicroPython."""

from __future__ import annotations

import pytest

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import mptest
from leasechain.sensors.chip import ChipTemperature
out = []
for value, unit in mptest.inp():
    out.append(ChipTemperature(lambda: value, unit).read()[5])
try:
    ChipTemperature(lambda: 1, "K")
except ValueError as exc:
    out.append(str(exc))
mptest.out(out)
"""


@pytest.mark.micropython
def test_celsius_and_fahrenheit_sources(micropython: MicroPython) -> None:
    # mcu_temperature() (S2/S3/C3/C6) gives degC; the original ESP32's raw_temperature() degF.
    cases = [[41, "C"], [41.0, "C"], [-5.25, "C"], [128, "F"], [105.8, "F"], [32, "F"], [14, "F"]]
    got = run_mp(micropython, SCRIPT, cases)
    assert got == [4100, 4100, -525, 5333, 4100, 0, -1000, "temperature unit must be 'C' or 'F', got 'K'"]
