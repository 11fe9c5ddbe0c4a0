"""UART frames (docs/protocol.md section 7): COBS(message || CRC-32 LE) || 0x00."""

import binascii


def cobs_encode(data):
    """Consistent Overhead Byte Stuffing: ``data`` without any zero byte."""
    out = bytearray()
    block = bytearray()
    for byte in data:
        if byte == 0:
            out.append(len(block) + 1)
            out.extend(block)
            block = bytearray()
        else:
            block.append(byte)
            if len(block) == 254:
                out.append(255)
                out.extend(block)
                block = bytearray()
    out.append(len(block) + 1)
    out.extend(block)
    return bytes(out)


def frame(message):
    """One message framed for the serial line, delimiter included."""
    crc = (binascii.crc32(message) & 0xFFFFFFFF).to_bytes(4, "little")
    return cobs_encode(bytes(message) + crc) + b"\x00"
