"""Strict, canonical CBOR for protocol messages, on top of cbor2.

The protocol admits one encoding per value (RFC 8949 section 4.2.1, core
deterministic encoding, without floating point), so that identical content
always means identical bytes.  Decoding therefore rejects anything that would
not re-encode to exactly the bytes received: trailing data, indefinite
lengths, duplicate or unsorted map keys, non-shortest heads, unknown tags.
"""

from __future__ import annotations

from typing import Any

import cbor2

from chain_client.errors import ProtocolError
from chain_client.reasons import Reason

MAX_DEPTH = 8
INT_MIN = -(2**63)
INT_MAX = 2**64 - 1

CBORValue = Any


def dumps(value: CBORValue) -> bytes:
    """Encode ``value`` in canonical CBOR."""
    return cbor2.dumps(value, canonical=True)


_MAPS = (dict, cbor2.frozendict)
_ARRAYS = (list, tuple)


def _key_order(key: CBORValue) -> tuple[int, int] | tuple[int, bytes]:
    """Sort key equal to the bytewise order of the keys' canonical encodings.

    For integers the order of encodings is numeric within a major type, and
    every unsigned integer sorts before every negative one; other keys are
    compared by their encodings.
    """
    if type(key) is int:
        return (0, key) if key >= 0 else (1, -1 - key)
    return (2, dumps(key))


def _int_in_range(value: int, what: str) -> None:
    if not INT_MIN <= value <= INT_MAX:
        raise ProtocolError(Reason.BAD_CBOR, f"{what} holds integer {value}, outside the 64-bit range")


def _check_item(item: CBORValue, allowed_tags: frozenset[int], what: str, depth: int) -> None:
    """Check one container element, inlining the common scalar cases."""
    kind = type(item)
    if kind is int:
        _int_in_range(item, what)
    elif not (kind is bytes or kind is str or kind is bool or item is None):
        _check_types(item, allowed_tags, what, depth)


def _check_types(value: CBORValue, allowed_tags: frozenset[int], what: str, depth: int = 0) -> None:
    """Reject values outside the protocol's CBOR subset and maps whose keys are not sorted.

    Exact type tests (not isinstance) and inlined scalar checks keep this
    fast: it runs on every message a gateway receives, and cbor2 only ever
    returns these concrete types.
    """
    kind = type(value)
    if kind is int:
        _int_in_range(value, what)
        return
    if kind is bytes or kind is str or kind is bool or value is None:
        return
    if depth >= MAX_DEPTH:
        raise ProtocolError(Reason.BAD_CBOR, f"{what} nests deeper than {MAX_DEPTH}")
    if kind in _ARRAYS:
        for item in value:
            _check_item(item, allowed_tags, what, depth + 1)
        return
    if kind in _MAPS:
        previous: tuple[int, int] | tuple[int, bytes] | None = None
        for key, item in value.items():
            order: tuple[int, int] | tuple[int, bytes]
            if type(key) is int:
                _int_in_range(key, what)
                order = (0, key) if key >= 0 else (1, -1 - key)
            else:
                _check_types(key, allowed_tags, what, depth + 1)
                order = _key_order(key)
            if previous is not None and order <= previous:
                raise ProtocolError(Reason.NON_CANONICAL, f"{what} has map keys out of canonical order")
            previous = order
            _check_item(item, allowed_tags, what, depth + 1)
        return
    if kind is cbor2.CBORTag:
        if value.tag not in allowed_tags:
            raise ProtocolError(
                Reason.BAD_CBOR, f"{what} holds CBOR tag {value.tag}, which is not allowed there"
            )
        _check_item(value.value, allowed_tags, what, depth + 1)
        return
    raise ProtocolError(Reason.BAD_CBOR, f"{what} holds a {kind.__name__}, which the protocol does not allow")


def strict_decode(data: bytes, max_depth: int = MAX_DEPTH) -> CBORValue:
    """cbor2's decoder as the protocol runs it on untrusted input; raises cbor2's own errors.

    Tags are returned raw so that no semantic decoder (bignums, shared references, dates, ...)
    runs; indefinite lengths and duplicate map keys are refused.
    """
    return cbor2.loads(
        data, semantic_decoders={}, max_depth=max_depth, allow_indefinite=False, allow_duplicate_keys=False
    )


def loads(data: bytes, *, what: str, allowed_tags: frozenset[int] = frozenset()) -> CBORValue:
    """Decode one canonical CBOR item filling all of ``data``.

    ``what`` names the item in error messages.  Raises :class:`ProtocolError`
    with reason ``bad_cbor`` for malformed input and ``non_canonical`` for
    well-formed input that is not in canonical form.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ProtocolError(Reason.BAD_CBOR, f"{what} is {type(data).__name__}, expected bytes")
    data = bytes(data)
    if not data:
        raise ProtocolError(Reason.BAD_CBOR, f"{what} is empty")
    try:
        value = strict_decode(data, MAX_DEPTH + 2)
    except Exception as exc:  # noqa: BLE001 - any decoder failure is bad input, never a crash
        raise ProtocolError(Reason.BAD_CBOR, f"{what} is not well-formed CBOR ({exc})") from None
    _check_types(value, allowed_tags, what)
    try:
        # Keys are known to be in canonical order, and cbor2 always writes the
        # shortest heads, so a plain re-encoding reproduces canonical input.
        again = cbor2.dumps(value)
    except Exception as exc:  # noqa: BLE001 - unencodable means it was not our subset
        raise ProtocolError(Reason.BAD_CBOR, f"{what} cannot be re-encoded ({exc})") from None
    if again != data:
        if len(again) < len(data) and data.startswith(again):
            raise ProtocolError(Reason.BAD_CBOR, f"{what} has {len(data) - len(again)} trailing bytes")
        raise ProtocolError(Reason.NON_CANONICAL, f"{what} is not canonical CBOR")
    return value
