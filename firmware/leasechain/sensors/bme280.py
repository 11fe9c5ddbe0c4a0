"""Bosch BME280 temperature, humidity and pressure sensor on I2C.

Forced mode, oversampling x1 for all three, no filter: one conversion per
reading (about 10 ms), then the sensor sleeps.  The compensation is the
datasheet's integer code (BST-BME280-DS002, section 4.2.3): temperature in
0.01 degC, pressure as a 64-bit Q24.8 Pa value, humidity as Q22.10 %RH.
"""

import struct

from ..const import const
from ..ticks import sleep_ms as _sleep_ms
from . import Sensor, SensorError, round_div

_CHIP_ID = const(0x60)
_REG_ID = const(0xD0)
_REG_CALIB_TP = const(0x88)
_REG_CALIB_H = const(0xE1)
_REG_CTRL_HUM = const(0xF2)
_REG_STATUS = const(0xF3)
_REG_CTRL_MEAS = const(0xF4)
_REG_CONFIG = const(0xF5)
_REG_DATA = const(0xF7)
_STATUS_MEASURING = const(0x08)
_CTRL_MEAS_FORCED = const(0b00100101)  # osrs_t x1, osrs_p x1, forced mode
_MEASURE_MS = const(10)  # datasheet 9.3 ms maximum at x1/x1/x1
_POLLS = const(10)


def _s8(v):
    return v - 256 if v > 127 else v


def _div_trunc(a, b):
    """C integer division (truncates toward zero), as the datasheet code uses."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


class Calibration:
    """The trimming parameters burnt into each sensor."""

    def __init__(self, tp, h):
        """Parse 26 bytes from 0x88 and 7 bytes from 0xE1."""
        (
            self.t1,
            self.t2,
            self.t3,
            self.p1,
            self.p2,
            self.p3,
            self.p4,
            self.p5,
            self.p6,
            self.p7,
            self.p8,
            self.p9,
            _,
            self.h1,
        ) = struct.unpack("<HhhHhhhhhhhhBB", tp)
        self.h2 = struct.unpack("<h", h[0:2])[0]
        self.h3 = h[2]
        self.h4 = (_s8(h[3]) << 4) | (h[4] & 0x0F)
        self.h5 = (_s8(h[5]) << 4) | (h[4] >> 4)
        self.h6 = _s8(h[6])


def compensate(cal, adc_t, adc_p, adc_h):
    """(centi-degC, Pa, centi-%RH) from raw ADC values, by the datasheet's integer formulas."""
    var1 = (((adc_t >> 3) - (cal.t1 << 1)) * cal.t2) >> 11
    var2 = (((((adc_t >> 4) - cal.t1) * ((adc_t >> 4) - cal.t1)) >> 12) * cal.t3) >> 14
    t_fine = var1 + var2
    temperature = (t_fine * 5 + 128) >> 8

    var1 = t_fine - 128000
    var2 = var1 * var1 * cal.p6
    var2 = var2 + ((var1 * cal.p5) << 17)
    var2 = var2 + (cal.p4 << 35)
    var1 = ((var1 * var1 * cal.p3) >> 8) + ((var1 * cal.p2) << 12)
    var1 = (((1 << 47) + var1) * cal.p1) >> 33
    if var1 == 0:
        raise SensorError("BME280 pressure calibration gives a division by zero")
    p = 1048576 - adc_p
    p = _div_trunc(((p << 31) - var2) * 3125, var1)
    var1 = (cal.p9 * (p >> 13) * (p >> 13)) >> 25
    var2 = (cal.p8 * p) >> 19
    p = ((p + var1 + var2) >> 8) + (cal.p7 << 4)
    pressure = round_div(p, 256)

    v = t_fine - 76800
    v = ((((adc_h << 14) - (cal.h4 << 20) - (cal.h5 * v)) + 16384) >> 15) * (
        ((((((v * cal.h6) >> 10) * (((v * cal.h3) >> 11) + 32768)) >> 10) + 2097152) * cal.h2 + 8192) >> 14
    )
    v = v - (((((v >> 15) * (v >> 15)) >> 7) * cal.h1) >> 4)
    v = 0 if v < 0 else v
    v = 419430400 if v > 419430400 else v
    humidity = round_div((v >> 12) * 100, 1024)
    return temperature, pressure, humidity


class BME280(Sensor):
    """Temperature (id 1), humidity (id 2) and pressure (id 3)."""

    name = "bme280"

    def __init__(self, i2c, address=0x76, sleep_ms=None):
        """``i2c`` has ``readfrom_mem`` / ``writeto_mem`` (machine.I2C or a fake)."""
        self._i2c = i2c
        self._address = address
        self._sleep_ms = sleep_ms or _sleep_ms
        chip = i2c.readfrom_mem(address, _REG_ID, 1)[0]
        if chip != _CHIP_ID:
            raise SensorError("chip at 0x%02x has id 0x%02x, a BME280 has 0x%02x" % (address, chip, _CHIP_ID))
        self.calibration = Calibration(
            i2c.readfrom_mem(address, _REG_CALIB_TP, 26), i2c.readfrom_mem(address, _REG_CALIB_H, 7)
        )
        i2c.writeto_mem(address, _REG_CTRL_HUM, b"\x01")  # humidity x1 (takes effect with ctrl_meas)
        i2c.writeto_mem(address, _REG_CONFIG, b"\x00")  # filter off

    def read(self):
        i2c = self._i2c
        i2c.writeto_mem(self._address, _REG_CTRL_MEAS, bytes((_CTRL_MEAS_FORCED,)))
        self._sleep_ms(_MEASURE_MS)
        for _ in range(_POLLS):
            if not i2c.readfrom_mem(self._address, _REG_STATUS, 1)[0] & _STATUS_MEASURING:
                break
            self._sleep_ms(2)
        else:
            raise SensorError("BME280 conversion did not finish in %d ms" % (_MEASURE_MS + 2 * _POLLS))
        d = i2c.readfrom_mem(self._address, _REG_DATA, 8)
        adc_p = (d[0] << 12) | (d[1] << 4) | (d[2] >> 4)
        adc_t = (d[3] << 12) | (d[4] << 4) | (d[5] >> 4)
        adc_h = (d[6] << 8) | d[7]
        temperature, pressure, humidity = compensate(self.calibration, adc_t, adc_p, adc_h)
        return {1: temperature, 2: humidity, 3: pressure}
