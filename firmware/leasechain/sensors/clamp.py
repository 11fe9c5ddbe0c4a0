"""A current clamp (e.g. SCT-013, voltage output) on an ADC: current and run time.

The clamp's output rides on a bias of half the supply; each measurement takes
``samples`` ADC readings over a few mains cycles and computes the RMS of their
deviation from the mean, in microvolts, then milliamperes through the clamp's
ratio.  The machine counts as running while the current is at or above
``threshold_ma``; ``poll`` integrates that into run seconds.
"""

from ..ticks import ticks_diff
from . import Sensor, isqrt, round_div


class CurrentClamp(Sensor):
    """Current in mA (id 4), running 0/1 (id 6), and run seconds as usage."""

    name = "current"

    def __init__(self, adc, ma_per_volt, threshold_ma, samples=160):
        """``adc`` has ``read_uv()`` (machine.ADC on the ESP32, calibrated microvolts)."""
        if samples < 2:
            raise ValueError("current clamp needs at least 2 samples, got %r" % samples)
        self._adc = adc
        self.ma_per_volt = ma_per_volt
        self.threshold_ma = threshold_ma
        self.samples = samples
        self.current_ma = None
        self.running = False
        self._ran_in_period = False
        self._last_ms = None
        self._run_ms = 0

    def measure(self):
        """One RMS measurement in mA."""
        read = self._adc.read_uv
        values = [read() for _ in range(self.samples)]
        n = len(values)
        total = 0
        for v in values:
            total += v
        # Sum of squared deviations, scaled by n to stay in integers: n*v - total.
        acc = 0
        for v in values:
            dev = n * v - total
            acc += dev * dev
        rms_uv = round_div(isqrt(acc // n), n)
        return round_div(rms_uv * self.ma_per_volt, 1000000)

    def poll(self, now_ms):
        """Measure, and add the time since the last poll to run time if the machine was running."""
        current = self.measure()
        if self._last_ms is not None and self.running:
            self._run_ms += max(0, ticks_diff(now_ms, self._last_ms))
        self._last_ms = now_ms
        self.current_ma = current
        self.running = current >= self.threshold_ma
        if self.running:
            self._ran_in_period = True

    def read(self):
        if self.current_ma is None:
            self.current_ma = self.measure()
            self.running = self.current_ma >= self.threshold_ma
        running = 1 if (self._ran_in_period or self.running) else 0
        self._ran_in_period = self.running
        return {4: self.current_ma, 6: running}

    def usage(self):
        seconds = self._run_ms // 1000
        self._run_ms -= seconds * 1000  # keep the remainder for the next period
        return (seconds, 0)
