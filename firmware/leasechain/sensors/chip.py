"""The ESP32's own temperature sensor (id 5), a health value for the board itself.

ESP32-S2/S3/C3/C6 have ``esp32.mcu_temperature()`` in degC; the original
ESP32 has only ``esp32.raw_temperature()``, an uncalibrated value in degF.
"""

from . import Sensor, round_div


def _default_source():
    import esp32

    if hasattr(esp32, "mcu_temperature"):
        return esp32.mcu_temperature, "C"
    return esp32.raw_temperature, "F"


class ChipTemperature(Sensor):
    """Chip temperature in centi-degC."""

    name = "chip_temperature"

    def __init__(self, read=None, unit="C"):
        """``read()`` gives degrees in ``unit`` ("C" or "F"); default: the esp32 module."""
        if read is None:
            read, unit = _default_source()
        if unit not in ("C", "F"):
            raise ValueError("temperature unit must be 'C' or 'F', got %r" % (unit,))
        self._read = read
        self._unit = unit

    def read(self):
        value = self._read()
        if isinstance(value, float):
            centi = round(value * 100) if self._unit == "C" else round((value - 32) * 500 / 9)
        elif self._unit == "C":
            centi = value * 100
        else:
            centi = round_div((value - 32) * 500, 9)
        return {5: int(centi)}
