"""Wall-clock time for readings, and whether it has been synchronised (NTP).

MicroPython ports count from 2000-01-01 or from 1970-01-01 depending on the
build; the protocol wants Unix seconds, so the offset is worked out from
``time.gmtime(0)``.
"""

import time

from .const import const

_Y2K = const(946684800)  # 2000-01-01T00:00:00Z in Unix seconds


def _epoch_offset():
    try:
        return _Y2K if time.gmtime(0)[0] == 2000 else 0
    except (AttributeError, OverflowError):
        return 0


class SystemClock:
    """The board's RTC; ``synced`` turns true after a successful ``sync``."""

    def __init__(self):
        self._offset = _epoch_offset()
        self.synced = False

    def time(self):
        """Unix seconds."""
        return int(time.time()) + self._offset

    def sync(self, host="pool.ntp.org", timeout_s=2):
        """Set the RTC from NTP (bounded by ``timeout_s``); raise OSError on failure."""
        import ntptime

        ntptime.host = host
        ntptime.timeout = timeout_s
        ntptime.settime()
        self.synced = True
