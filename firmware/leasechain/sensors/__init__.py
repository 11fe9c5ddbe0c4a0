"""Sensor drivers behind one small interface.

A driver has:

- ``name``: for log lines;
- ``read()``: a dict {sensor id: integer} in the protocol's units (payload.py);
- ``usage()``: (run_seconds, cycles) accumulated since the previous call;
- ``poll(now_ms)``: called often (about once a second) between readings, for
  drivers that integrate over time; ``now_ms`` is a millisecond tick.

Drivers take their bus, pin or ADC as an argument, so tests and the simulator
hand them fakes.
"""


class SensorError(Exception):
    """A sensor is absent, answers wrongly or times out."""


class Sensor:
    """Defaults for drivers that measure but count nothing."""

    name = "sensor"

    def read(self):
        return {}

    def usage(self):
        return (0, 0)

    def poll(self, now_ms):
        pass


def round_div(n, d):
    """n / d rounded to the nearest integer, halves away from zero (d > 0)."""
    if n >= 0:
        return (2 * n + d) // (2 * d)
    return -((-2 * n + d) // (2 * d))


def isqrt(n):
    """Integer square root (floor) of n >= 0."""
    if n < 2:
        return n
    # Start above the root: 2**ceil(bits / 2), bits counted without int.bit_length
    # (MicroPython has none).
    x = 1
    while x * x <= n:
        x <<= 1
    while True:
        y = (x + n // x) >> 1
        if y >= x:
            return x
        x = y
