"""The heap's low-water mark: how close the app comes to running out of RAM.

An ESP32 without PSRAM leaves MicroPython 110-160 KB of heap.  ``HeapWatch``
collects the garbage and records ``gc.mem_free()`` after every loop tick that
did work, so ``low`` is the least free memory the app's live data ever left
(the key, the outbox state, the MQTT client, the modules' code).  Under
CPython there is no ``gc.mem_free`` and the watch records nothing.

``unload`` drops modules the running sensor no longer needs (the
configuration parser and the board's wiring after boot, the update code
after a check): their code is freed once nothing else refers to it.
"""

import gc
import sys


def unload(names):
    """Remove each ``leasechain.<name>`` from sys.modules and from the package, then collect."""
    import leasechain

    for name in names:
        # Only what was imported: its name is interned already, so this interns nothing new,
        # which could need memory (it runs after a check that failed with MemoryError).
        if sys.modules.pop("leasechain." + name, None) is not None and hasattr(leasechain, name):
            delattr(leasechain, name)
    gc.collect()


class HeapWatch:
    """Lowest free heap after a collection; ``sample()`` takes one measurement."""

    def __init__(self):
        self.enabled = hasattr(gc, "mem_free")
        self.low = None
        self.last = None
        self.samples = 0

    def sample(self):
        """Collect, measure; return the free bytes (None under CPython)."""
        if not self.enabled:
            return None
        gc.collect()
        free = gc.mem_free()
        self.last = free
        self.samples += 1
        if self.low is None or free < self.low:
            self.low = free
        return free
