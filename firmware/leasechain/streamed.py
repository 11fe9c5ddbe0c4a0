"""SHA-512 and Ed25519 verification of a message read in parts (a release manifest from flash).

Loaded only for an update check and dropped after it (updater.py): the
sensor's resident code does not carry it for the hours in between.
"""

import struct

from .ed25519_verify import verify_digest
from .sha512 import _IV, _M, _compress


def sha512_parts(parts):
    """SHA-512 of the concatenation of ``parts``, without joining them.

    Whole blocks are compressed where they lie; only a block that spans two
    parts is copied, so a long message is never whole on the heap.
    """
    st = _IV
    buf = bytearray(128)
    fill = 0
    n = 0
    for part in parts:
        size = len(part)
        n += size
        i = 0
        if fill:
            take = min(128 - fill, size)
            buf[fill : fill + take] = part[:take]
            fill += take
            i = take
            if fill == 128:
                st = _compress(st, buf, 0)
                fill = 0
        while size - i >= 128:
            st = _compress(st, part, i)
            i += 128
        if i < size:
            buf[: size - i] = part[i:]
            fill = size - i
    tail = bytes(buf[:fill]) + b"\x80" + bytes((111 - n) % 128) + struct.pack(">QQ", n >> 61, (n << 3) & _M)
    for offset in range(0, len(tail), 128):
        st = _compress(st, tail, offset)
    return struct.pack(">8Q", *st)


def verify_parts(public_key, parts, signature, table=None):
    """ed25519_verify.verify of the message that is the concatenation of the iterable ``parts``."""

    def digest(big_r):
        return sha512_parts(_chain((big_r, public_key), parts))

    return verify_digest(public_key, signature, digest, table)


def _chain(first, rest):
    for part in first:
        yield part
    for part in rest:
        yield part
