"""Machines behind the virtual sensors, driving the firmware's own sensor drivers.

A machine runs in shifts with a duty cycle; what it does at device time
``t`` is a pure function of the seed, the device and ``t``, so the same seed
gives the same run.  The firmware's drivers see it through fakes of the
hardware they read: the current clamp (firmware/leasechain/sensors/clamp.py)
samples a fake ADC carrying a sine of the machine's current, the pulse
counter (sensors/pulse.py) gets edges on a fake pin.  Ambient temperature and
humidity (a BME280 on the board, whose I2C register protocol is not worth
faking) come from a small simulated sensor.
"""

from __future__ import annotations

import hashlib
import math
import random
from typing import Any

from firmware.leasechain.sensors import Sensor
from firmware.leasechain.sensors.clamp import CurrentClamp
from firmware.leasechain.sensors.pulse import PulseCounter
from simulator.scenario import Machine

CLAMP_MA_PER_VOLT = 30_000  # an SCT-013-030: 30 A per volt
ADC_BIAS_UV = 1_650_000  # the clamp rides on half of 3.3 V
DEBOUNCE_MS = 20


class FakeAdc:
    """``read_uv()`` of an ADC watching a clamp whose current is set by ``set_current``."""

    def __init__(self, samples: int) -> None:
        self._wave = [math.sin(2 * math.pi * j / samples) for j in range(samples)]
        self._values: list[int] = [ADC_BIAS_UV] * samples
        self._next = 0

    def set_current(self, milliamps: int) -> None:
        amplitude = milliamps / CLAMP_MA_PER_VOLT * 1_000_000 * math.sqrt(2)
        self._values = [ADC_BIAS_UV + round(amplitude * w) for w in self._wave]
        self._next = 0

    def read_uv(self) -> int:
        value = self._values[self._next]
        self._next = (self._next + 1) % len(self._values)
        return value


class FakePin:
    """A GPIO with an interrupt handler, as ``machine.Pin.irq`` installs it."""

    def __init__(self) -> None:
        self.handler: Any = None

    def irq(self, handler: Any = None, trigger: int = 0) -> None:  # noqa: ANN401 - the firmware's callback
        self.handler = handler


class Ambient(Sensor):  # type: ignore[misc]  # firmware classes are untyped
    """Temperature (id 1) and humidity (id 2) of the machine's surroundings."""

    name = "ambient"

    def __init__(self, model: MachineModel) -> None:
        self.model = model

    def read(self) -> dict[int, int]:
        return self.model.ambient()


class MachineModel:
    """One machine: its schedule, and the firmware sensor drivers attached to it."""

    def __init__(self, profile: Machine, seed: int, index: int) -> None:
        self.profile = profile
        self._base = f"{seed}:{index}:{profile.name}".encode()
        self._rng = random.Random(self._base)
        low, high = profile.temperature_c
        self._temp_base = self._rng.uniform(low, low + (high - low) * 0.4)
        self._temp_span = high - self._temp_base
        self._humidity = self._rng.uniform(*profile.humidity_pct)
        self._tick = 0
        self._cycle_debt = 0.0
        self._last_t: float | None = None
        self.now = 0.0
        self._running_now = False
        self.sensors: list[Any] = []
        self._adc: FakeAdc | None = None
        self._pin: FakePin | None = None
        self._clamp: Any = None
        for kind in profile.sensors:
            if kind == "clamp":
                self._adc = FakeAdc(profile.adc_samples)
                self._clamp = CurrentClamp(
                    self._adc, CLAMP_MA_PER_VOLT, profile.threshold_ma, profile.adc_samples
                )
                self.sensors.append(self._clamp)
            elif kind == "pulse":
                self._pin = FakePin()
                self.sensors.append(PulseCounter(self._pin, DEBOUNCE_MS, 1, self._ticks, _no_irq()))
            else:
                self.sensors.append(Ambient(self))

    def _ticks(self) -> int:
        return self._tick

    def running(self, t: float) -> bool:
        """Whether the machine runs at device time ``t`` (pure in seed, device and time)."""
        p = self.profile
        hour = (t % 86400) / 3600
        if not any(start <= hour < end for start, end in p.shifts):
            return False
        slot = int(t // p.cycle_seconds)
        digest = hashlib.blake2b(self._base + slot.to_bytes(8, "big"), digest_size=4).digest()
        return int.from_bytes(digest, "big") < p.duty_cycle * 2**32

    def advance(self, t: float) -> None:
        """Bring the hardware to device time ``t`` and let the drivers poll it."""
        p = self.profile
        run = self.running(t)
        self._running_now = run
        previous = self._last_t
        self._last_t = t
        self.now = t
        if self._adc is not None:
            low, high = p.running_current_ma if run else p.idle_current_ma
            self._adc.set_current(self._rng.randint(low, high))
            self._clamp.poll(int(t * 1000))
        if self._pin is not None and previous is not None and run:
            self._cycle_debt += (t - previous) * p.cycles_per_hour / 3600
            edges = int(self._cycle_debt)
            self._cycle_debt -= edges
            tick = max(self._tick, int(t * 1000))
            for _ in range(edges):
                tick += DEBOUNCE_MS
                self._tick = tick
                self._pin.handler(self._pin)

    def ambient(self) -> dict[int, int]:
        warm = 0.6 if self._running_now else 0.1
        temperature = self._temp_base + self._temp_span * warm + self._rng.uniform(-0.3, 0.3)
        humidity = self._humidity + self._rng.uniform(-1.0, 1.0)
        return {1: round(temperature * 100), 2: round(max(0.0, min(100.0, humidity)) * 100)}


def _no_irq() -> tuple[Any, Any]:
    return (lambda: None), (lambda state: None)


def pick_profile(machines: list[Machine], index: int, devices: int) -> Machine:
    """The machine kind of device ``index``: shares split the fleet in contiguous, stable blocks."""
    total = sum(m.share for m in machines)
    position = (index + 0.5) / devices * total
    for machine in machines:
        if position < machine.share:
            return machine
        position -= machine.share
    return machines[-1]
