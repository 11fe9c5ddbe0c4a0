"""UART framing: COBS with CRC-32, resynchronisation and bad frames."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chain_client import ProtocolError, Reason, uart


@given(st.binary(max_size=1100))
def test_cobs_round_trip_has_no_zero(data: bytes) -> None:
    encoded = uart.cobs_encode(data)
    assert 0 not in encoded
    assert uart.cobs_decode(encoded) == data


@given(st.lists(st.binary(min_size=1, max_size=300), max_size=8), st.integers(1, 64))
def test_frames_survive_any_chunking(messages: list[bytes], chunk: int) -> None:
    stream = b"".join(uart.encode_frame(m) for m in messages)
    deframer = uart.Deframer()
    out: list[bytes | ProtocolError] = []
    for i in range(0, len(stream), chunk):
        out += deframer.feed(stream[i : i + chunk])
    assert out == messages


def test_bad_frames_are_named_and_isolated() -> None:
    good = uart.encode_frame(b"reading-1")
    corrupt = bytearray(uart.encode_frame(b"reading-2"))
    corrupt[3] ^= 0x40
    oversize = b"\x01" * (uart.MAX_ENCODED_SIZE + 10) + b"\x00"
    bad_cobs = b"\x09ab\x00"
    stream = b"noise-before-sync\x00" + good + bytes(corrupt) + oversize + bad_cobs + good
    results = uart.Deframer().feed(stream)
    kinds = [r.reason if isinstance(r, ProtocolError) else r for r in results]
    assert kinds == [
        Reason.BAD_FRAME,
        b"reading-1",
        Reason.BAD_CHECKSUM,
        Reason.OVERSIZE,
        Reason.BAD_FRAME,
        b"reading-1",
    ]


@given(st.binary(max_size=2000))
def test_random_streams_never_raise(data: bytes) -> None:
    for item in uart.Deframer().feed(data):
        assert isinstance(item, bytes | ProtocolError)
