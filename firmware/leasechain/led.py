"""The status LED: what the device is doing, readable from across a workshop.

- on, steady: booting (key generation on the first boot takes a moment);
- off, with a 50 ms flash per signed reading: online, readings delivered;
- 1 Hz blink: offline, readings are buffered in flash;
- 5 Hz blink: stopped by an error that needs a technician (see the log).
"""

from .const import const
from .ticks import ticks_diff

BOOTING = "booting"
ONLINE = "online"
OFFLINE = "offline"
ERROR = "error"

_FLASH_MS = const(50)


class StatusLed:
    """Drives a pin (``value(0|1)``) from a mode and the millisecond tick."""

    def __init__(self, pin, inverted=False):
        self._pin = pin
        self._inverted = inverted
        self.mode = BOOTING
        self._flash_at = None
        self.update(0)

    def flash(self, now_ms):
        """Mark a signed reading."""
        self._flash_at = now_ms

    def lit(self, now_ms):
        """Whether the LED is on at ``now_ms``."""
        mode = self.mode
        if mode == BOOTING:
            return True
        if mode == OFFLINE:
            return now_ms % 1000 < 500
        if mode == ERROR:
            return now_ms % 200 < 100
        return self._flash_at is not None and 0 <= ticks_diff(now_ms, self._flash_at) < _FLASH_MS

    def show_link(self, online, now_ms):
        """Show whether the link is up (a flash per reading) or down (1 Hz blink) at ``now_ms``."""
        self.mode = ONLINE if online else OFFLINE
        self.update(now_ms)

    def update(self, now_ms):
        on = self.lit(now_ms)
        self._pin.value(0 if on == self._inverted else 1)
