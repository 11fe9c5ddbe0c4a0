"""The board's wrapping millisecond tick (``time.ticks_ms``) and its arithmetic.

On MicroPython ticks wrap around, so sums and differences must go through
``ticks_add`` / ``ticks_diff``; under CPython (the simulator) they are plain
monotonic milliseconds.
"""

import time

_add = getattr(time, "ticks_add", None)
_diff = getattr(time, "ticks_diff", None)


def ticks_ms():
    """The current tick."""
    ms = getattr(time, "ticks_ms", None)
    if ms is None:
        return int(time.monotonic() * 1000)  # type: ignore[attr-defined]  # CPython only
    return ms()


def ticks_add(ticks, delta):
    """The tick ``delta`` ms after ``ticks``."""
    return ticks + delta if _add is None else _add(ticks, delta)


def ticks_diff(later, earlier):
    """Milliseconds from ``earlier`` to ``later`` (negative if ``later`` is before)."""
    return later - earlier if _diff is None else _diff(later, earlier)


def sleep_ms(ms):
    """Sleep ``ms`` milliseconds."""
    fn = getattr(time, "sleep_ms", None)
    if fn is None:
        time.sleep(ms / 1000)
    else:
        fn(ms)
