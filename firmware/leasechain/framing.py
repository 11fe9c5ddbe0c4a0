"""UART frames (docs/protocol.md section 7): COBS(message || CRC-32 LE) || 0x00, and their transport.

``UartTransport`` lives here, not in transport.py, so a board on MQTT never
loads it.
"""

import binascii

from .transport import TransportError


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


class UartTransport:
    """Framed messages on a serial line to a gateway (no acknowledgement, no status)."""

    def __init__(self, uart):
        self._uart = uart
        self.connected = False

    def connect(self, will_topic, will_message):
        # A leading delimiter resynchronises a receiver that saw half a frame.
        self._write(b"\x00")
        self.connected = True

    def publish(self, topic, message, retain=False):
        if topic.endswith("/status"):
            return  # status text is unsigned MQTT housekeeping; the serial line has no use for it
        self._write(frame(message))

    def ping(self):
        pass

    def close(self):
        self.connected = False

    def _write(self, data):
        try:
            written = self._uart.write(data)
        except Exception as exc:  # noqa: BLE001 - machine.UART raises OSError; fakes may raise anything
            self.connected = False
            raise TransportError("UART write failed: %r" % (exc,)) from None
        if written is not None and written != len(data):
            self.connected = False
            raise TransportError("UART wrote %d of %d bytes" % (written, len(data)))
