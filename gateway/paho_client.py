"""A paho-mqtt 2 client that hands acknowledged-later PUBLISH packets to one lean callback.

paho builds, for every received message, an ``MQTTMessage``, an MQTT 5
``Properties`` object (parsed property by property) and a walk of its
topic-filter tree, then calls ``on_message``; at thousands of readings per
second that Python work, not the signature checks, limits a gateway.  For a
QoS 1 PUBLISH with manual acknowledgement, the only kind the gateway
subscribes to, :class:`LeanClient` parses the variable header itself (topic,
packet id, and the MQTT 5 properties, which the gateway does not use and
skips by their length) and calls :attr:`LeanClient.on_publish_qos1` with the
packet id, topic and payload.  :meth:`LeanClient.ack_qos1` queues the
PUBACKs of a whole commit as one write (one wake-up of the network thread,
one ``send``) instead of one per message.  Everything else (connection, session,
keepalive, subscriptions, QoS 0 and 2, acknowledgements, reconnects) stays
paho's.

It overrides one private method (``_handle_publish``), reads the packet paho
has assembled and queues through ``_packet_queue``, so pyproject.toml bounds paho-mqtt to the versions that
tests/gateway/test_paho_client.py checks against paho's own decoder.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.exception import MalformedPacket

QOS1_FLAGS = 0x02  # PUBLISH fixed-header bits 1-2: QoS 1
PUBACK = 0x40
_PUBACK = struct.Struct("!BBH")  # fixed header (type, remaining length 2) and packet id

PublishHandler = Callable[[int, str, bytes], None]


def parse_publish(packet: bytes | bytearray, v5: bool) -> tuple[int, str, bytes]:
    """(packet id, topic, payload) of a QoS 1 PUBLISH body (everything after the fixed header).

    Raises :class:`MalformedPacket`, as paho's decoder does, for a body too
    short for what its lengths announce.  A topic that is not UTF-8 is
    decoded with replacement characters, so the topic check rejects the
    message with a reason instead of the network loop failing.
    """
    size = len(packet)
    if size < 4:
        raise MalformedPacket(f"PUBLISH of {size} bytes is too short for a topic and a packet id")
    end = 2 + ((packet[0] << 8) | packet[1])
    if end + 2 > size:
        raise MalformedPacket(f"PUBLISH topic of {end - 2} bytes overruns the {size}-byte packet")
    if end == 2 and not v5:
        raise MalformedPacket("topic can't be empty in MQTTv3")
    topic = bytes(packet[2:end]).decode("utf-8", errors="replace")
    mid = (packet[end] << 8) | packet[end + 1]
    pos = end + 2
    if v5:
        length = shift = 0
        while True:
            if pos >= size or shift > 21:
                raise MalformedPacket("PUBLISH property length is truncated or longer than 4 bytes")
            byte = packet[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        pos += length
        if pos > size:
            raise MalformedPacket(f"PUBLISH properties of {length} bytes overrun the {size}-byte packet")
    return mid, topic, bytes(packet[pos:])


class LeanClient(paho.Client):
    """``paho.Client`` whose QoS 1 deliveries (manual acknowledgement) skip ``MQTTMessage``.

    Set :attr:`on_publish_qos1` before connecting; it is called on paho's
    network thread, as ``on_message`` would be, and must not raise.
    """

    on_publish_qos1: PublishHandler | None = None

    def _handle_publish(self) -> MQTTErrorCode:
        handler = self.on_publish_qos1
        command = self._in_packet["command"]
        if handler is None or (command & 0x06) != QOS1_FLAGS or not self._manual_ack:
            return super()._handle_publish()
        mid, topic, payload = parse_publish(
            self._in_packet["packet"], self._protocol == MQTTProtocolVersion.MQTTv5
        )
        with self._in_callback_mutex:
            handler(mid, topic, payload)
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    def ack_qos1(self, mids: Sequence[int]) -> None:
        """Acknowledge QoS 1 messages by packet id: the same PUBACKs as ``ack``, in one write."""
        if mids:
            packet = b"".join([_PUBACK.pack(PUBACK, 2, mid) for mid in mids])
            self._packet_queue(PUBACK, packet, 0, 0)
