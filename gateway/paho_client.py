"""A paho-mqtt 2 client that reads many packets per ``recv`` and hands QoS 1 PUBLISHes over in lists.

paho reads a packet with four ``recv`` calls (command, two length bytes,
body), one packet per pass of its network loop, then builds for every
received message an ``MQTTMessage``, an MQTT 5 ``Properties`` object (parsed
property by property) and a walk of its topic-filter tree before calling
``on_message``; at thousands of readings per second that Python work, not
the signature checks, limits a gateway.  :class:`LeanClient` replaces
paho's reading step (:meth:`LeanClient.loop_read`): one ``recv`` of up to
64 KiB, every complete packet in it parsed from the buffer, and the QoS 1
PUBLISHes with manual acknowledgement (the only kind the gateway subscribes
to) passed to :attr:`LeanClient.on_publish_qos1` as one list of (packet id,
topic, payload), the MQTT 5 properties (which the gateway does not use)
skipped by their length.  Every other packet goes to paho's own handler,
exactly as paho's reader would pass it.  :meth:`LeanClient.ack_qos1` queues
the PUBACKs of a whole commit as one write (one wake-up of the network
thread, one ``send``) instead of one per message.  Connection, session,
keepalive, subscriptions, QoS 0 and 2, acknowledgements and reconnects stay
paho's.

With :attr:`LeanClient.max_payload` set, a QoS 1 PUBLISH longer than
:data:`HEADER_PEEK` (64 KiB) is never held whole: once its header is in
(topic, packet id, property length), its payload is passed through SHA-256
as it arrives, only the first ``max_payload`` bytes are kept, and the rest
is dropped as it is read.  A payload that turns out to be over the limit
goes to :attr:`LeanClient.on_oversize_qos1` as (packet id, topic, first
bytes, size, SHA-256), so the gateway can quarantine and acknowledge it
like any message; a 50 MB PUBLISH costs the reader about one read buffer of
memory, not 50 MB (or 100, with the copy of its payload).

It overrides one public method of paho's external-loop API (``loop_read``),
fills paho's private ``_in_packet`` for the packets paho handles, and
queues through ``_packet_queue``, so pyproject.toml bounds paho-mqtt to the
versions that tests/gateway/test_paho_client.py checks against paho's own
decoder and reader.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.exception import MalformedPacket

READ_SIZE = 65536  # bytes asked of one recv: a few hundred readings
# A PUBLISH's header fits in this many body bytes: topic length, the longest topic, packet id and
# the property length's 4 bytes; what follows (properties, payload) can be streamed.
HEADER_PEEK = 2 + 65535 + 2 + 4
PUBLISH = 0x30
QOS1_FLAGS = 0x02  # PUBLISH fixed-header bits 1-2: QoS 1
PUBACK = 0x40
_PUBACK = struct.Struct("!BBH")  # fixed header (type, remaining length 2) and packet id

Publish = tuple[int, str, bytes]  # packet id, topic, payload
PublishHandler = Callable[[list[Publish]], None]
# packet id, topic, the payload's first bytes, the payload's size and SHA-256
OversizeHandler = Callable[[int, str, bytes, int, bytes], None]


def _varint(data: bytes | bytearray, pos: int, stop: int) -> tuple[int, int] | None:
    """The MQTT variable byte integer at ``pos`` and the position after it; ``None`` if cut off at ``stop``.

    1 to 4 bytes of 7 bits each, least significant first; raises
    :class:`MalformedPacket` when a fourth byte still announces a fifth.
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
            raise MalformedPacket("variable byte integer is longer than 4 bytes")
    return None


def _publish_header(packet: bytes | bytearray, v5: bool, start: int, stop: int) -> tuple[int, str, int]:
    """(packet id, topic, where the payload starts) of the PUBLISH body at ``packet[start:stop]``.

    The payload may start beyond ``stop`` (properties longer than what is
    at hand); the caller checks that against the packet's length.
    """
    size = stop - start
    if size < 4:
        raise MalformedPacket(f"PUBLISH of {size} bytes is too short for a topic and a packet id")
    end = start + 2 + ((packet[start] << 8) | packet[start + 1])
    if end + 2 > stop:
        raise MalformedPacket(f"PUBLISH topic of {end - start - 2} bytes overruns the {size}-byte packet")
    if end == start + 2 and not v5:
        raise MalformedPacket("topic can't be empty in MQTTv3")
    topic = bytes(packet[start + 2 : end]).decode("utf-8", errors="replace")
    mid = (packet[end] << 8) | packet[end + 1]
    pos = end + 2
    if v5:
        properties = _varint(packet, pos, stop)
        if properties is None:
            raise MalformedPacket("PUBLISH property length is truncated")
        length, pos = properties
        pos += length
    return mid, topic, pos


def parse_publish(packet: bytes | bytearray, v5: bool, start: int = 0, stop: int | None = None) -> Publish:
    """(packet id, topic, payload) of a QoS 1 PUBLISH body (everything after the fixed header).

    The body is ``packet[start:stop]``, so a reader can parse it in place in
    its buffer.  Raises :class:`MalformedPacket`, as paho's decoder does, for
    a body too short for what its lengths announce.  A topic that is not
    UTF-8 is decoded with replacement characters, so the topic check rejects
    the message with a reason instead of the network loop failing.
    """
    stop = len(packet) if stop is None else stop
    mid, topic, pos = _publish_header(packet, v5, start, stop)
    if pos > stop:
        raise MalformedPacket(f"PUBLISH properties overrun the {stop - start}-byte packet")
    return mid, topic, bytes(packet[pos:stop])


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


def _idle_packet() -> Any:  # noqa: ANN401 - paho's private _InPacket TypedDict
    """paho's ``_in_packet`` between packets, as its own reader leaves it."""
    return {
        "command": 0,
        "have_remaining": 0,
        "remaining_count": [],
        "remaining_mult": 1,
        "remaining_length": 0,
        "packet": bytearray(b""),
        "to_process": 0,
        "pos": 0,
    }


class LeanClient(paho.Client):
    """``paho.Client`` that reads in large blocks and delivers QoS 1 PUBLISHes without ``MQTTMessage``.

    Set :attr:`on_publish_qos1` before connecting; it is called on paho's
    network thread, as ``on_message`` would be, with the QoS 1 messages of
    one read in arrival order, and must not raise.  Without it (or without
    ``manual_ack``) PUBLISHes take paho's ``on_message`` path.
    """

    on_publish_qos1: PublishHandler | None = None
    # With both set, a QoS 1 payload over max_payload bytes is streamed past, not held whole.
    max_payload: int | None = None
    on_oversize_qos1: OversizeHandler | None = None
    _read_sock: object = None
    _read_buffer: bytearray
    _streamed: _Streamed | None = None

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Read what the socket has (up to :data:`READ_SIZE`) and handle every complete packet in it.

        ``max_packets`` is ignored: every complete packet is handled.
        """
        sock = self._sock
        if sock is None:
            return MQTTErrorCode.MQTT_ERR_NO_CONN
        if sock is not self._read_sock:  # a new connection: nothing of the old stream carries over
            self._read_sock = sock
            self._read_buffer = bytearray()
            self._streamed = None
        try:
            data = self._sock_recv(READ_SIZE)
        except BlockingIOError:
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        except OSError as err:
            self._easy_log(paho.MQTT_LOG_ERR, "failed to receive on socket: %s", err)
            return self._loop_rc_handle(MQTTErrorCode.MQTT_ERR_CONN_LOST)
        if not data:
            return self._loop_rc_handle(MQTTErrorCode.MQTT_ERR_CONN_LOST)
        with self._msgtime_mutex:
            self._last_bytes_received = paho.time_func()
        buffer = self._read_buffer
        buffer += data
        rc = self._handle_buffer(sock, buffer)
        return self._loop_rc_handle(rc) if rc else MQTTErrorCode.MQTT_ERR_SUCCESS

    def _handle_buffer(self, sock: object, buffer: bytearray) -> MQTTErrorCode:
        """Handle the complete packets at the front of ``buffer`` and remove them from it."""
        v5 = self._protocol == MQTTProtocolVersion.MQTTv5
        lean = self.on_publish_qos1 is not None and self._manual_ack
        stream_above = self._stream_above() if lean else None
        publishes: list[Publish] = []
        rc = MQTTErrorCode.MQTT_ERR_SUCCESS
        size = len(buffer)
        pos = 0
        try:
            if self._streamed is not None:
                pos = self._continue_streamed(buffer, publishes)
            while pos + 2 <= size:
                command = buffer[pos]
                remaining = _varint(buffer, pos + 1, size)
                if remaining is None:
                    break  # the length bytes are not all here yet
                length, head = remaining
                end = head + length
                streamed = stream_above is not None and length > stream_above
                if streamed and command & 0xF6 == PUBLISH | QOS1_FLAGS:
                    if size - head < HEADER_PEEK:
                        break  # the header is not all here yet
                    pos = self._start_streamed(buffer, v5, head, length, publishes)
                    continue
                if end > size:
                    break  # the body is not all here yet
                if lean and command & 0xF6 == PUBLISH | QOS1_FLAGS:  # any DUP and RETAIN flag
                    publishes.append(parse_publish(buffer, v5, head, end))
                else:
                    self._deliver(publishes)
                    rc = self._handle_packet(command, buffer[head:end])
                    if rc or self._sock is not sock:
                        pos = size  # disconnected while handling: the rest belongs to a dead stream
                        return rc
                pos = end
        except MalformedPacket as exc:
            self._easy_log(paho.MQTT_LOG_DEBUG, "Received malformed packet: %s", exc)
            pos = size
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        finally:
            del buffer[:pos]
            self._deliver(publishes)
        return rc

    def _stream_above(self) -> int | None:
        """The body length past which a QoS 1 PUBLISH is streamed, or ``None`` (never)."""
        if self.max_payload is None or self.on_oversize_qos1 is None:
            return None
        # A body no longer than the limit cannot carry a payload over it; one within the peek
        # is read whole (no more than the peek is ever held).
        return max(self.max_payload, HEADER_PEEK)

    def _start_streamed(
        self, buffer: bytearray, v5: bool, head: int, length: int, publishes: list[Publish]
    ) -> int:
        """Begin a long PUBLISH whose header is in ``buffer[head:]``; return where reading stopped."""
        assert self.max_payload is not None
        mid, topic, payload = _publish_header(buffer, v5, head, min(len(buffer), head + length))
        if payload > head + length:
            raise MalformedPacket(f"PUBLISH properties overrun the {length}-byte packet")
        size = head + length - payload
        self._streamed = _Streamed(mid, topic, payload - head, size, self.max_payload)
        return self._continue_streamed(buffer, publishes, head)

    def _continue_streamed(self, buffer: bytearray, publishes: list[Publish], start: int = 0) -> int:
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
        self._deliver(publishes)
        handler = self.on_oversize_qos1
        assert handler is not None
        head, digest = bytes(streamed.head), streamed.sha256.digest()
        with self._in_callback_mutex:
            handler(streamed.mid, streamed.topic, head, streamed.size, digest)
        return pos

    def _deliver(self, publishes: list[Publish]) -> None:
        handler = self.on_publish_qos1
        if publishes and handler is not None:
            with self._in_callback_mutex:
                handler(publishes[:])
            publishes.clear()

    def _handle_packet(self, command: int, body: bytearray) -> MQTTErrorCode:
        """Pass one packet to paho's handler the way paho's reader would."""
        packet = _idle_packet()
        packet.update(command=command, have_remaining=1, remaining_length=len(body), packet=body)
        self._in_packet = packet
        try:
            return self._packet_handle()
        except MalformedPacket as exc:
            self._easy_log(paho.MQTT_LOG_DEBUG, "Received malformed packet: %s", exc)
            return MQTTErrorCode.MQTT_ERR_PROTOCOL
        finally:
            self._in_packet = _idle_packet()

    def ack_qos1(self, mids: Sequence[int]) -> None:
        """Acknowledge QoS 1 messages by packet id: the same PUBACKs as ``ack``, in one write."""
        if mids:
            packet = b"".join([_PUBACK.pack(PUBACK, 2, mid) for mid in mids])
            self._packet_queue(PUBACK, packet, 0, 0)
