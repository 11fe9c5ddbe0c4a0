"""The counters a device persists across power cuts (``state.bin``).

One fixed binary record with a CRC-32, replaced atomically after every signed
reading.  Its write is the commit point of a reading: a reading whose state
was not written is discarded at the next boot (it was never published, so
neither its sequence number nor its place in the hash chain was ever used).

Layout (little-endian): magic ``LCS1``, boot, seq, dropped (uint32 each),
run_seconds, cycles, outbox head, outbox tail (uint64 each), prev (32 bytes),
CRC-32 of everything before it.
"""

import binascii
import struct

from .payload import GENESIS_PREV

STATE_FILE = "state.bin"
_MAGIC = b"LCS1"
_FORMAT = "<4sIIIQQQQ32s"
_SIZE = struct.calcsize(_FORMAT) + 4


class StateError(Exception):
    """The state file exists but cannot be trusted; the device must not guess its counters."""


class State:
    """Boot counter, sequence, usage totals, pending drop count, outbox bounds and chain head."""

    def __init__(self):
        self.boot = 0  # boot counter of the current (or last) boot
        self.seq = 0  # sequence number of the next reading in this boot
        self.dropped = 0  # readings discarded since the last signed reading
        self.run_seconds = 0  # lifetime machine run time
        self.cycles = 0  # lifetime machine cycles
        self.head = 0  # outbox index of the oldest reading not known to be delivered
        self.tail = 0  # outbox index the next reading gets
        self.prev = GENESIS_PREV  # digest of the last signed reading

    def copy(self):
        """An independent copy, to build the next state before committing it."""
        other = State()
        other.boot = self.boot
        other.seq = self.seq
        other.dropped = self.dropped
        other.run_seconds = self.run_seconds
        other.cycles = self.cycles
        other.head = self.head
        other.tail = self.tail
        other.prev = self.prev
        return other

    def pack(self):
        """The record's bytes, CRC included."""
        body = struct.pack(
            _FORMAT,
            _MAGIC,
            self.boot,
            self.seq,
            self.dropped,
            self.run_seconds,
            self.cycles,
            self.head,
            self.tail,
            self.prev,
        )
        return body + struct.pack("<I", binascii.crc32(body) & 0xFFFFFFFF)


def unpack(data):
    """Parse a state record; raise StateError naming what is wrong."""
    if len(data) != _SIZE:
        raise StateError("state record is %d bytes, expected %d" % (len(data), _SIZE))
    body = data[:-4]
    (crc,) = struct.unpack("<I", data[-4:])
    if binascii.crc32(body) & 0xFFFFFFFF != crc:
        raise StateError("state record fails its CRC")
    fields = struct.unpack(_FORMAT, body)
    if fields[0] != _MAGIC:
        raise StateError("state record has magic %r, expected %r" % (fields[0], _MAGIC))
    st = State()
    st.boot, st.seq, st.dropped, st.run_seconds, st.cycles, st.head, st.tail, st.prev = fields[1:]
    if st.head > st.tail:
        raise StateError("state record has outbox head %d after tail %d" % (st.head, st.tail))
    return st


def load(store):
    """The persisted state, or None before the first boot; raise StateError if corrupt."""
    data = store.read(STATE_FILE)
    if data is None:
        return None
    return unpack(data)


def save(store, st):
    """Commit ``st`` atomically."""
    store.write(STATE_FILE, st.pack())
