"""UART framing for wired sensors: COBS-encoded frames with a CRC-32, 0x00-delimited.

A frame on the wire is ``COBS(message || CRC32(message) as 4 bytes little-endian) || 0x00``.
COBS removes every zero byte from the frame body, so a zero always means
"end of frame" and a receiver that joins mid-stream resynchronises at the
next zero.  CRC-32 is the IEEE polynomial of ``binascii.crc32`` (available
on MicroPython as well).
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

from chain_client.cose import MAX_MESSAGE_SIZE
from chain_client.errors import ProtocolError
from chain_client.reasons import Reason

DELIMITER = b"\x00"
CRC_SIZE = 4
# COBS adds at most one byte per 254 plus one; this bounds a valid encoded frame.
MAX_ENCODED_SIZE = MAX_MESSAGE_SIZE + CRC_SIZE + (MAX_MESSAGE_SIZE + CRC_SIZE) // 254 + 2


def cobs_encode(data: bytes) -> bytes:
    """Consistent Overhead Byte Stuffing: an encoding of ``data`` without zero bytes."""
    out = bytearray()
    block = bytearray()
    for byte in data:
        if byte == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
        else:
            block.append(byte)
            if len(block) == 254:
                out.append(255)
                out += block
                block.clear()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    """Invert :func:`cobs_encode`; raise :class:`ProtocolError` (``bad_frame``) on invalid input."""
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        code = data[i]
        if code == 0:
            raise ProtocolError(Reason.BAD_FRAME, f"zero byte inside a COBS frame at offset {i}")
        end = i + code
        if end > n:
            raise ProtocolError(Reason.BAD_FRAME, f"COBS block at offset {i} runs past the frame end")
        block = data[i + 1 : end]
        if 0 in block:
            raise ProtocolError(Reason.BAD_FRAME, f"zero byte inside a COBS block at offset {i}")
        out += block
        i = end
        if code != 255 and i < n:
            out.append(0)
    return bytes(out)


def encode_frame(message: bytes) -> bytes:
    """Frame one message for the wire, delimiter included."""
    crc = binascii.crc32(message).to_bytes(CRC_SIZE, "little")
    return cobs_encode(message + crc) + DELIMITER


def decode_frame(encoded: bytes) -> bytes:
    """Decode one frame body (without its delimiter) and check its CRC."""
    if len(encoded) > MAX_ENCODED_SIZE:
        raise ProtocolError(Reason.OVERSIZE, f"frame is {len(encoded)} bytes, limit {MAX_ENCODED_SIZE}")
    body = cobs_decode(encoded)
    if len(body) < CRC_SIZE + 1:
        raise ProtocolError(Reason.BAD_FRAME, f"frame of {len(body)} bytes is too short")
    message, crc = body[:-CRC_SIZE], body[-CRC_SIZE:]
    expected = binascii.crc32(message).to_bytes(CRC_SIZE, "little")
    if crc != expected:
        raise ProtocolError(Reason.BAD_CHECKSUM, f"frame CRC is {crc.hex()}, computed {expected.hex()}")
    return message


@dataclass
class Deframer:
    """Incremental frame splitter for a byte stream (a serial port).

    ``feed`` returns, in order, each complete message or the :class:`ProtocolError`
    that frame produced; a bad frame never affects the frames around it.
    """

    _buffer: bytearray | None = None
    _overflowed: bool = False

    def feed(self, data: bytes) -> list[bytes | ProtocolError]:
        """Consume bytes from the stream; return the frames they completed."""
        if self._buffer is None:
            self._buffer = bytearray()
        results: list[bytes | ProtocolError] = []
        for chunk_index, chunk in enumerate(data.split(DELIMITER)):
            if chunk_index > 0:
                results.extend(self._end_frame())
            if self._overflowed:
                continue
            self._buffer += chunk
            if len(self._buffer) > MAX_ENCODED_SIZE:
                # Drop the oversized frame now instead of buffering an unbounded stream.
                self._buffer.clear()
                self._overflowed = True
        return results

    def _end_frame(self) -> list[bytes | ProtocolError]:
        assert self._buffer is not None
        if self._overflowed:
            self._overflowed = False
            return [ProtocolError(Reason.OVERSIZE, f"frame longer than {MAX_ENCODED_SIZE} bytes")]
        if not self._buffer:
            return []  # empty frames (repeated delimiters) are used to resynchronise
        encoded = bytes(self._buffer)
        self._buffer.clear()
        try:
            return [decode_frame(encoded)]
        except ProtocolError as exc:
            return [exc]
