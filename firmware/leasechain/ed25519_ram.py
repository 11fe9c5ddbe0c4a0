"""Ed25519 parts the sensor does not carry: a base-point table in RAM and a key from a new seed.

``RamTable`` holds the whole 24 KB table on the heap (lookups without file
reads), for benchmarks and tests; the device signs with ``ed25519.FlashTable``.
``generate`` makes a key pair from fresh random bytes; the device creates its
key in identity.py.
"""

import os

from .ed25519 import ENTRY_SIZE, TABLE_SIZE, Ed25519Error, SigningKey, open_table


class RamTable:
    """A packed base-point table held in memory (24 KB of heap): lookups without file reads."""

    def __init__(self, data):
        if len(data) != TABLE_SIZE:
            raise Ed25519Error("base table is %d bytes, expected %d" % (len(data), TABLE_SIZE))
        self._view = memoryview(data)

    def entry(self, offset):
        """The 96-byte entry at ``offset``."""
        return self._view[offset : offset + ENTRY_SIZE]


def load_table(path=None):
    """Read a packed base-point table into memory (a RamTable) after checking its size."""
    # One allocation of the exact size: reading to the end would grow a buffer
    # in steps, which a small, fragmented heap (an ESP32 without PSRAM) cannot do.
    data = bytearray(TABLE_SIZE)
    with open_table(path) as f:
        f.readinto(data)
    return RamTable(data)


def generate(rng=None, table=None):
    """A new key pair from 32 bytes of ``rng`` (default ``os.urandom``): (seed, key)."""
    seed = (rng or os.urandom)(32)
    if len(seed) != 32:
        raise Ed25519Error("random source returned %d bytes, expected 32" % len(seed))
    return seed, SigningKey(seed, table)
