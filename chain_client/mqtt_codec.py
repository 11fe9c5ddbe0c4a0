"""The MQTT 3.1.1 and 5 packets Lease Chain's host parts speak, and a sans-IO reader of a broker's stream.

One copy of the wire rules for the gateway's client (gateway/mqtt_client.py),
the fleet simulator's publisher (simulator/mqtt.py), the benchmarks and the
tests: the variable byte integer, the packets a client sends (CONNECT,
SUBSCRIBE, PUBLISH, PUBACK, PINGREQ, DISCONNECT) and those it receives.

:class:`Reader` takes bytes as they come off a socket, in pieces of any
size, and returns what they complete, in order.  QoS 1 PUBLISHes, the bulk
of a gateway's traffic, are parsed in place and handed over as one list per
feed of (packet id, topic, payload); their MQTT 5 properties are skipped by
their length.  Every other packet comes back as its command byte and body.
With ``stream_above`` set, a QoS 1 PUBLISH whose body is longer is never
held whole: once its header is in, its payload passes through SHA-256 as it
arrives, its first ``keep`` bytes are kept and the rest dropped, so a 50 MB
PUBLISH costs about one read of memory (:class:`Oversize`).

tests/chain_client/test_mqtt_codec.py checks the parser against paho-mqtt's
own decoder and the reader against paho's reader on the same streams.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

CONNECT = 0x10
CONNACK = 0x20
PUBLISH = 0x30
PUBACK = 0x40
PUBREC = 0x50
PUBREL = 0x60
PUBCOMP = 0x70
SUBSCRIBE = 0x82  # with the flags the specification requires
SUBACK = 0x90
PINGREQ = 0xC0
PINGRESP = 0xD0
DISCONNECT = 0xE0
QOS1_FLAGS = 0x02  # PUBLISH fixed-header bits 1-2: QoS 1
# A PUBLISH's header fits in this many body bytes: topic length, the longest topic, packet id and
# the property length's 4 bytes; what follows (properties, payload) can be streamed.
HEADER_PEEK = 2 + 65535 + 2 + 4
MAX_REMAINING_LENGTH = 268_435_455  # four 7-bit bytes
# The return codes of an MQTT 3.1.1 CONNACK that refuse the connection.
CONNACK_V3_REASONS = {
    1: "unacceptable protocol version",
    2: "client identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorised",
}

_PUBACK = struct.Struct("!BBH")  # fixed header (type, remaining length 2) and packet id
_U16 = struct.Struct("!H")

# MQTT 5 property identifiers and the size of their value: 1, 2 or 4 bytes, "v" a variable byte
# integer, "s" a length-prefixed string or binary, "p" a string pair.
_PROPERTY_KINDS = {
    0x01: 1, 0x02: 4, 0x03: "s", 0x08: "s", 0x09: "s", 0x0B: "v", 0x11: 4, 0x12: "s", 0x13: 2,
    0x15: "s", 0x16: "s", 0x17: 1, 0x18: 4, 0x19: 1, 0x1A: "s", 0x1C: "s", 0x1F: "s", 0x21: 2,
    0x22: 2, 0x23: 2, 0x24: 1, 0x25: 1, 0x26: "p", 0x27: 4, 0x28: 1, 0x29: 1, 0x2A: 1,
}  # fmt: skip
SERVER_KEEP_ALIVE = 0x13
REASON_STRING = 0x1F


class MalformedPacketError(ValueError):
    """The bytes break the MQTT packet format (the connection cannot go on).

    Raised by :meth:`Reader.feed`, it carries in :attr:`before` what the
    same bytes completed ahead of the bad packet, in order.
    """

    before: list[Event]

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.before = []


Publish = tuple[int, str, bytes]  # packet id, topic, payload


class Packet(NamedTuple):
    """A packet other than a QoS 1 PUBLISH: its first byte and its body."""

    command: int
    body: bytes


class Oversize(NamedTuple):
    """A QoS 1 PUBLISH read past: packet id, topic, the payload's first bytes, its size and SHA-256."""

    mid: int
    topic: str
    head: bytes
    size: int
    sha256: bytes


Event = list[Publish] | Packet | Oversize


# --- encoding --------------------------------------------------------------------------------------------


def encode_varint(value: int) -> bytes:
    """The MQTT variable byte integer of ``value`` (1 to 4 bytes, 7 bits each, least significant first)."""
    if not 0 <= value <= MAX_REMAINING_LENGTH:
        raise ValueError(f"{value} does not fit an MQTT variable byte integer")
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def frame(command: int, body: bytes) -> bytes:
    """A whole packet: the command byte, the body's length and the body."""
    return bytes([command]) + encode_varint(len(body)) + body


def string(data: bytes) -> bytes:
    """A length-prefixed string or binary field."""
    return _U16.pack(len(data)) + data


@dataclass(frozen=True)
class Will:
    """The message the broker publishes if the connection vanishes."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


def connect_packet(
    client_id: str,
    keepalive: int,
    *,
    clean: bool = True,
    v5: bool = False,
    session_expiry: int | None = None,
    will: Will | None = None,
    username: str | None = None,
    password: str | None = None,
) -> bytes:
    """The bytes of a CONNECT packet (MQTT 5 with ``v5``, else 3.1.1)."""
    flags = 0x02 if clean else 0
    payload = string(client_id.encode())
    if will is not None:
        flags |= 0x04 | (will.qos << 3) | (0x20 if will.retain else 0)
        payload += (b"\x00" if v5 else b"") + string(will.topic.encode()) + string(will.payload)
    if username is not None:
        flags |= 0x80
        payload += string(username.encode())
    if password is not None:
        flags |= 0x40
        payload += string(password.encode())
    body = string(b"MQTT") + bytes([5 if v5 else 4, flags]) + _U16.pack(keepalive)
    if v5:
        properties = b"" if session_expiry is None else b"\x11" + struct.pack("!I", session_expiry)
        body += encode_varint(len(properties)) + properties
    return frame(CONNECT, body + payload)


def publish_packet(
    topic: bytes, payload: bytes, qos: int, retain: bool, packet_id: int, v5: bool = False
) -> bytes:
    """The bytes of a PUBLISH packet."""
    head = PUBLISH | (qos << 1) | (1 if retain else 0)
    variable = string(topic) + (_U16.pack(packet_id) if qos else b"") + (b"\x00" if v5 else b"")
    return bytes([head]) + encode_varint(len(variable) + len(payload)) + variable + payload


def subscribe_packet(packet_id: int, filters: Sequence[tuple[str, int]], v5: bool = False) -> bytes:
    """The bytes of a SUBSCRIBE packet for (topic filter, maximum QoS) pairs."""
    body = _U16.pack(packet_id) + (b"\x00" if v5 else b"")
    body += b"".join(string(topic.encode()) + bytes([qos]) for topic, qos in filters)
    return frame(SUBSCRIBE, body)


def pubacks(mids: Sequence[int]) -> bytes:
    """The PUBACKs of QoS 1 messages, in one run of bytes (MQTT 5 allows the short form: success)."""
    return b"".join([_PUBACK.pack(PUBACK, 2, mid) for mid in mids])


def disconnect_packet() -> bytes:
    """A normal DISCONNECT (the session stays with the broker when it has an expiry)."""
    return bytes([DISCONNECT, 0])


PINGREQ_PACKET = bytes([PINGREQ, 0])


# --- decoding --------------------------------------------------------------------------------------------


def decode_varint(data: bytes | bytearray, pos: int, stop: int) -> tuple[int, int] | None:
    """The variable byte integer at ``pos`` and the position after it; ``None`` if cut off at ``stop``.

    Raises :class:`MalformedPacketError` when a fourth byte still announces a fifth.
    """
    value = shift = 0
    while pos < stop:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift >= 28:
            raise MalformedPacketError("variable byte integer is longer than 4 bytes")
    return None


def _publish_header(
    packet: bytes | bytearray, v5: bool, qos: bool, start: int, stop: int
) -> tuple[int, str, int]:
    """(packet id, topic, where the payload starts) of the PUBLISH body at ``packet[start:stop]``.

    The payload may start beyond ``stop`` (properties longer than what is
    at hand); the caller checks that against the packet's length.
    """
    size = stop - start
    id_size = 2 if qos else 0
    if size < 2 + id_size:
        raise MalformedPacketError(f"PUBLISH of {size} bytes is too short for a topic and a packet id")
    end = start + 2 + ((packet[start] << 8) | packet[start + 1])
    if end + id_size > stop:
        raise MalformedPacketError(
            f"PUBLISH topic of {end - start - 2} bytes overruns the {size}-byte packet"
        )
    if end == start + 2 and not v5:
        raise MalformedPacketError("topic can't be empty in MQTTv3")
    # A topic that is not UTF-8 is decoded with replacement characters, so that the topic check
    # rejects the message with a reason instead of the network loop failing.
    topic = bytes(packet[start + 2 : end]).decode("utf-8", errors="replace")
    mid = (packet[end] << 8) | packet[end + 1] if qos else 0
    pos = end + id_size
    if v5:
        properties = decode_varint(packet, pos, stop)
        if properties is None:
            raise MalformedPacketError("PUBLISH property length is truncated")
        length, pos = properties
        pos += length
    return mid, topic, pos


def parse_publish(
    packet: bytes | bytearray, v5: bool, start: int = 0, stop: int | None = None, qos: int = 1
) -> Publish:
    """(packet id, topic, payload) of a PUBLISH body (everything after the fixed header).

    The body is ``packet[start:stop]``, so a reader can parse it in place in
    its buffer.  ``qos`` 0 has no packet id (0 is returned).  Raises
    :class:`MalformedPacketError` for a body too short for what its lengths
    announce.
    """
    stop = len(packet) if stop is None else stop
    mid, topic, pos = _publish_header(packet, v5, qos > 0, start, stop)
    if pos > stop:
        raise MalformedPacketError(f"PUBLISH properties overrun the {stop - start}-byte packet")
    return mid, topic, bytes(packet[pos:stop])


def parse_properties(body: bytes, pos: int) -> tuple[dict[int, object], int]:
    """The MQTT 5 properties at ``body[pos:]`` (identifier to value, the last one if repeated) and the end."""
    found = decode_varint(body, pos, len(body))
    if found is None:
        raise MalformedPacketError("property length is truncated")
    length, pos = found
    stop = pos + length
    if stop > len(body):
        raise MalformedPacketError(f"properties of {length} bytes overrun the {len(body)}-byte packet")
    properties: dict[int, object] = {}
    while pos < stop:
        ident = body[pos]
        kind = _PROPERTY_KINDS.get(ident)
        pos += 1
        value: object
        if kind is None:
            raise MalformedPacketError(f"unknown property 0x{ident:02x}")
        if kind == "v":
            varint = decode_varint(body, pos, stop)
            if varint is None:
                raise MalformedPacketError("property value is truncated")
            value, pos = varint
        elif isinstance(kind, int):
            value, pos = int.from_bytes(body[pos : pos + kind], "big"), pos + kind
        else:
            count = 2 if kind == "p" else 1
            parts = []
            for _ in range(count):
                size = int.from_bytes(body[pos : pos + 2], "big")
                parts.append(body[pos + 2 : pos + 2 + size])
                pos += 2 + size
            value = parts[0] if count == 1 else tuple(parts)
        if pos > stop:
            raise MalformedPacketError(f"property 0x{ident:02x} overruns the properties")
        properties[ident] = value
    return properties, stop


class _Streamed:
    """A long QoS 1 PUBLISH read as it arrives: properties skipped, payload hashed, its head kept."""

    def __init__(self, mid: int, topic: str, skip: int, size: int, keep: int) -> None:
        self.mid = mid
        self.topic = topic
        self.skip = skip  # body bytes before the payload still to come
        self.size = size
        self.left = size  # payload bytes still to come
        self.keep = keep
        self.head = bytearray()
        self.sha256 = hashlib.sha256()

    @property
    def done(self) -> bool:
        """Whether the whole packet has been read."""
        return not self.skip and not self.left

    def feed(self, data: bytearray, start: int) -> int:
        """Take this packet's bytes from ``data[start:]``; return how many."""
        skipped = min(self.skip, len(data) - start)
        self.skip -= skipped
        begin = start + skipped
        taken = min(self.left, len(data) - begin)
        if taken:
            with memoryview(data) as view:
                chunk = view[begin : begin + taken]
                if len(self.head) < self.keep:
                    self.head += chunk[: self.keep - len(self.head)]
                self.sha256.update(chunk)
                chunk.release()
            self.left -= taken
        return skipped + taken


class Reader:
    """The packets in a broker's byte stream, for one connection (a new connection takes a new reader).

    ``stream_above``: a QoS 1 PUBLISH whose payload is over this many bytes
    is read past (:class:`Oversize`) instead of held; ``None`` holds every
    packet whole.  After :class:`MalformedPacketError` the stream cannot be
    trusted any further: drop the connection.
    """

    def __init__(self, v5: bool, stream_above: int | None = None) -> None:
        self.v5 = v5
        self.keep = stream_above
        # A body no longer than the limit cannot carry a payload over it; one within the peek
        # is read whole (no more than the peek is ever held).
        self._stream_above = None if stream_above is None else max(stream_above, HEADER_PEEK)
        self._buffer = bytearray()
        self._streamed: _Streamed | None = None

    @property
    def pending(self) -> int:
        """Bytes held of a packet not yet complete."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Event]:
        """What ``data`` completes, in order: lists of QoS 1 PUBLISHes, other packets, oversize ones."""
        buffer = self._buffer
        buffer += data
        events: list[Event] = []
        publishes: list[Publish] = []
        v5 = self.v5
        stream_above = self._stream_above
        size = len(buffer)
        pos = 0
        try:
            if self._streamed is not None:
                pos = self._continue_streamed(buffer, 0, publishes, events)
            while pos + 2 <= size:
                command = buffer[pos]
                remaining = decode_varint(buffer, pos + 1, size)
                if remaining is None:
                    break  # the length bytes are not all here yet
                length, head = remaining
                end = head + length
                qos1 = command & 0xF6 == PUBLISH | QOS1_FLAGS  # any DUP and RETAIN flag
                if qos1 and stream_above is not None and length > stream_above:
                    if size - head < HEADER_PEEK:
                        break  # the header is not all here yet
                    pos = self._start_streamed(buffer, head, length, publishes, events)
                    continue
                if end > size:
                    break  # the body is not all here yet
                if qos1:
                    publishes.append(parse_publish(buffer, v5, head, end))
                else:
                    if publishes:
                        events.append(publishes)
                        publishes = []
                    events.append(Packet(command, bytes(buffer[head:end])))
                pos = end
        except MalformedPacketError as exc:
            self._buffer = bytearray()
            self._streamed = None
            exc.before = events + ([publishes] if publishes else [])
            raise
        del buffer[:pos]
        if publishes:
            events.append(publishes)
        return events

    def _start_streamed(
        self, buffer: bytearray, head: int, length: int, publishes: list[Publish], events: list[Event]
    ) -> int:
        """Begin a long PUBLISH whose header is in ``buffer[head:]``; return where reading stopped."""
        assert self.keep is not None
        mid, topic, payload = _publish_header(buffer, self.v5, True, head, min(len(buffer), head + length))
        if payload > head + length:
            raise MalformedPacketError(f"PUBLISH properties overrun the {length}-byte packet")
        size = head + length - payload
        self._streamed = _Streamed(mid, topic, payload - head, size, self.keep)
        return self._continue_streamed(buffer, head, publishes, events)

    def _continue_streamed(
        self, buffer: bytearray, start: int, publishes: list[Publish], events: list[Event]
    ) -> int:
        """Feed the long PUBLISH from ``buffer[start:]``; hand it over once complete; return the position."""
        streamed = self._streamed
        assert streamed is not None
        pos = start + streamed.feed(buffer, start)
        if not streamed.done:
            return pos
        self._streamed = None
        if streamed.size <= streamed.keep:  # long properties or topic, a payload within the limit
            publishes.append((streamed.mid, streamed.topic, bytes(streamed.head)))
            return pos
        if publishes:
            events.append(publishes[:])
            publishes.clear()
        events.append(
            Oversize(
                streamed.mid, streamed.topic, bytes(streamed.head), streamed.size, streamed.sha256.digest()
            )
        )
        return pos
