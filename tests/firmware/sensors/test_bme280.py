"""BME280 driver (firmware/leasechain/sensors/bme280.py) on a fake I2C bus, under MicroPython.

Temperature and pressure use the worked example of Bosch's datasheet (the
BMP280 datasheet, section 3.12; the BME280 shares the formulas, BST-BME280-DS002
section 4.2.3): T = 25.08 degC, p = 100653.27 Pa.  Humidity is checked against
the datasheet's double-precision formula (appendix 8.1).
"""

from __future__ import annotations

import random
import struct
from typing import Any

import pytest

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

T_CAL = (27504, 26435, -1000)
P_CAL = (36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000)
H_CAL = (75, 370, 0, 307, 50, 30)  # H1..H6 of a production part
EXAMPLE_ADC_T = 519888
EXAMPLE_ADC_P = 415148


def _registers(h: tuple[int, int, int, int, int, int] = H_CAL) -> dict[str, str]:
    h1, h2, h3, h4, h5, h6 = h
    tp = struct.pack("<HhhHhhhhhhhhBB", *T_CAL, *P_CAL, 0, h1)
    e4 = (h4 >> 4) & 0xFF
    e5 = ((h5 & 0x0F) << 4) | (h4 & 0x0F)
    e6 = (h5 >> 4) & 0xFF
    hum = struct.pack("<hB", h2, h3) + bytes((e4, e5, e6)) + struct.pack("<b", h6)
    return {"136": tp.hex(), "225": hum.hex(), "208": "60"}


def _data(adc_t: int, adc_p: int, adc_h: int) -> str:
    p, t = adc_p << 4, adc_t << 4
    # 0xF7..0xFE: pressure and temperature as 20 bits (msb, lsb, xlsb), humidity as 16.
    return (p.to_bytes(3, "big") + t.to_bytes(3, "big") + adc_h.to_bytes(2, "big")).hex()


SCRIPT = """
import mptest, buses
from leasechain.sensors import SensorError
from leasechain.sensors.bme280 import BME280
data = mptest.inp()
regs = {}
for k in data["registers"]:
    regs[int(k)] = mptest.unhx(data["registers"][k])
sleeps = []
out = {"readings": []}
i2c = buses.FakeI2C(0x76, regs, busy_reads=2)
bme = BME280(i2c, 0x76, sleep_ms=sleeps.append)
cal = bme.calibration
out["calibration"] = [cal.h1, cal.h2, cal.h3, cal.h4, cal.h5, cal.h6]
for sample in data["samples"]:
    i2c.mem[0xF7:0xFF] = mptest.unhx(sample)
    r = bme.read()
    out["readings"].append([r[1], r[3], r[2]])
out["writes"] = [[reg, mptest.hx(v)] for reg, v in i2c.writes[:4]]
out["sleeps"] = sleeps[:3]
errors = []
stuck = buses.FakeI2C(0x76, regs, busy_reads=-1)
try:
    BME280(stuck, 0x76, sleep_ms=sleeps.append).read()
except SensorError as exc:
    errors.append(str(exc))
regs[0xD0] = b"\\x58"  # a BMP280 answers with 0x58
try:
    BME280(buses.FakeI2C(0x76, regs), 0x76)
except SensorError as exc:
    errors.append(str(exc))
try:
    BME280(buses.FakeI2C(0x77, regs), 0x76)
except OSError as exc:
    errors.append("OSError %d" % exc.args[0])
out["errors"] = errors
mptest.out(out)
"""


def _float_compensation(adc_t: int, adc_p: int, adc_h: int) -> tuple[float, float, float]:
    """The datasheet's double-precision compensation (appendix 8.1)."""
    t1, t2, t3 = T_CAL
    p1, p2, p3, p4, p5, p6, p7, p8, p9 = P_CAL
    h1, h2, h3, h4, h5, h6 = H_CAL
    var1 = (adc_t / 16384.0 - t1 / 1024.0) * t2
    var2 = ((adc_t / 131072.0 - t1 / 8192.0) * (adc_t / 131072.0 - t1 / 8192.0)) * t3
    t_fine = var1 + var2
    temperature = t_fine / 5120.0
    var1 = t_fine / 2.0 - 64000.0
    var2 = var1 * var1 * p6 / 32768.0
    var2 = var2 + var1 * p5 * 2.0
    var2 = var2 / 4.0 + p4 * 65536.0
    var1 = (p3 * var1 * var1 / 524288.0 + p2 * var1) / 524288.0
    var1 = (1.0 + var1 / 32768.0) * p1
    p = 1048576.0 - adc_p
    p = (p - var2 / 4096.0) * 6250.0 / var1
    var1 = p9 * p * p / 2147483648.0
    var2 = p * p8 / 32768.0
    pressure = p + (var1 + var2 + p7) / 16.0
    h = t_fine - 76800.0
    h = (adc_h - (h4 * 64.0 + h5 / 16384.0 * h)) * (
        h2 / 65536.0 * (1.0 + h6 / 67108864.0 * h * (1.0 + h3 / 67108864.0 * h))
    )
    h = h * (1.0 - h1 * h / 524288.0)
    return temperature, pressure, min(100.0, max(0.0, h))


@pytest.fixture(scope="module")
def driven(micropython: MicroPython) -> tuple[list[tuple[int, int, int]], Any]:
    rng = random.Random(280)
    samples = [(EXAMPLE_ADC_T, EXAMPLE_ADC_P, 30000)]
    samples += [
        (rng.randrange(400000, 600000), rng.randrange(250000, 450000), rng.randrange(15000, 50000))
        for _ in range(40)
    ]
    samples += [(EXAMPLE_ADC_T, EXAMPLE_ADC_P, 0), (EXAMPLE_ADC_T, EXAMPLE_ADC_P, 65535)]
    data = {"registers": _registers(), "samples": [_data(*s) for s in samples]}
    return samples, run_mp(micropython, SCRIPT, data)


@pytest.mark.micropython
def test_datasheet_example_values(driven: tuple[list[tuple[int, int, int]], Any]) -> None:
    _, got = driven
    temperature, pressure, _ = got["readings"][0]
    assert temperature == 2508  # 25.08 degC
    assert pressure == 100653  # 100653.27 Pa


@pytest.mark.micropython
def test_compensation_agrees_with_the_floating_point_formulas(
    driven: tuple[list[tuple[int, int, int]], Any],
) -> None:
    samples, got = driven
    for (adc_t, adc_p, adc_h), (t, p, h) in zip(samples, got["readings"], strict=True):
        ft, fp, fh = _float_compensation(adc_t, adc_p, adc_h)
        assert abs(t - ft * 100) <= 1, (adc_t, t, ft)
        assert abs(p - fp) <= 1, (adc_p, p, fp)
        assert abs(h - fh * 100) <= 3, (adc_h, h, fh)
    assert got["readings"][-2][2] == 0  # dry air clamps at 0 %RH
    assert got["readings"][-1][2] == 10000  # saturation clamps at 100 %RH


@pytest.mark.micropython
def test_calibration_and_forced_mode(driven: tuple[list[tuple[int, int, int]], Any]) -> None:
    _, got = driven
    assert got["calibration"] == list(H_CAL)
    # Humidity oversampling, filter off, then one forced conversion per reading.
    assert got["writes"] == [[0xF2, "01"], [0xF5, "00"], [0xF4, "25"], [0xF4, "25"]]
    assert got["sleeps"][0] == 10


@pytest.mark.micropython
def test_absent_wrong_or_stuck_sensor(driven: tuple[list[tuple[int, int, int]], Any]) -> None:
    _, got = driven
    assert got["errors"] == [
        "BME280 conversion did not finish in 30 ms",
        "chip at 0x76 has id 0x58, a BME280 has 0x60",
        "OSError 19",
    ]
