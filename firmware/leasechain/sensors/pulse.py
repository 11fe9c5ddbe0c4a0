"""Machine cycles from a pulse input (reed switch, proximity sensor, PLC output).

Each edge on the pin counts one cycle, unless it comes within ``debounce_ms``
of the last counted one (contact bounce).  The count lives in RAM between
readings; every reading moves it into the persisted usage counter.
"""

from ..ticks import ticks_diff
from ..ticks import ticks_ms as _ticks_ms
from . import Sensor


def _default_rising():
    try:
        from machine import Pin

        return Pin.IRQ_RISING
    except ImportError:  # CPython: the value the ESP32 port uses
        return 1


def _default_irq_guard():
    try:
        import machine

        return machine.disable_irq, machine.enable_irq
    except ImportError:  # CPython: no interrupts to hold off
        return (lambda: None), (lambda state: None)


class PulseCounter(Sensor):
    """Cycles as usage; no reading of its own."""

    name = "cycles"

    def __init__(self, pin, debounce_ms=20, trigger=None, ticks_ms=None, irq_guard=None):
        """``pin`` has ``irq(handler=, trigger=)`` (machine.Pin or a fake)."""
        self.debounce_ms = debounce_ms
        self._ticks_ms = ticks_ms or _ticks_ms
        self._disable, self._enable = irq_guard or _default_irq_guard()
        self._count = 0
        self._last = None
        pin.irq(handler=self._edge, trigger=_default_rising() if trigger is None else trigger)

    def _edge(self, pin):
        now = self._ticks_ms()
        if self._last is None or ticks_diff(now, self._last) >= self.debounce_ms:
            self._count += 1
            self._last = now

    def usage(self):
        state = self._disable()
        count = self._count
        self._count = 0
        self._enable(state)
        return (0, count)
