"""Canonical CBOR encoder for the protocol's subset (docs/protocol.md section 4).

Core deterministic encoding of RFC 8949 section 4.2.1: shortest heads,
definite lengths, map keys sorted by the bytes of their encodings.  Only the
types a message uses are accepted: integers in -2**63 .. 2**64-1, byte and
text strings, lists, maps, booleans, None and the one tag (``Tag``).
"""

from .const import const

_INT_MIN = const(-(2**63))
_UINT_MAX = const(2**64 - 1)


class Tag:
    """A tagged item: ``Tag(18, [...])`` is a COSE_Sign1."""

    def __init__(self, tag, value):
        self.tag = tag
        self.value = value


def _head(out, major, n):
    if n < 24:
        out.append((major << 5) | n)
    elif n < 0x100:
        out.append((major << 5) | 24)
        out.append(n)
    elif n < 0x10000:
        out.append((major << 5) | 25)
        out.extend(n.to_bytes(2, "big"))
    elif n < 0x100000000:
        out.append((major << 5) | 26)
        out.extend(n.to_bytes(4, "big"))
    else:
        out.append((major << 5) | 27)
        out.extend(n.to_bytes(8, "big"))


def _encode(out, value):
    # bool before int: CPython's bool is an int, MicroPython's is not.
    if value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif value is None:
        out.append(0xF6)
    elif isinstance(value, int):
        if value >= 0:
            if value > _UINT_MAX:
                raise ValueError("integer %d is above 2**64-1" % value)
            _head(out, 0, value)
        else:
            if value < _INT_MIN:
                raise ValueError("integer %d is below -2**63" % value)
            _head(out, 1, -1 - value)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        _head(out, 2, len(value))
        out.extend(value)
    elif isinstance(value, str):
        data = value.encode()
        _head(out, 3, len(data))
        out.extend(data)
    elif isinstance(value, (list, tuple)):
        _head(out, 4, len(value))
        for item in value:
            _encode(out, item)
    elif isinstance(value, dict):
        items = []
        for key in value:
            encoded = bytearray()
            _encode(encoded, key)
            items.append((bytes(encoded), value[key]))
        items.sort(key=_first)
        for i in range(1, len(items)):
            if items[i][0] == items[i - 1][0]:
                raise ValueError("map has the key %r twice" % (items[i][0],))
        _head(out, 5, len(items))
        for key_bytes, item in items:
            out.extend(key_bytes)
            _encode(out, item)
    elif isinstance(value, Tag):
        _head(out, 6, value.tag)
        _encode(out, value.value)
    else:
        raise TypeError("CBOR cannot encode %s in this protocol" % type(value).__name__)


def _first(pair):
    return pair[0]


def dumps(value):
    """Canonical CBOR bytes of ``value``."""
    out = bytearray()
    _encode(out, value)
    return bytes(out)
