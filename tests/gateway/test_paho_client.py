"""The lean PUBLISH parser against paho's own decoder, the lean reader against paho's reader on sockets."""

from __future__ import annotations

import hashlib
import random
import socket

import paho.mqtt.client as paho
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt import _packet
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion, _ConnectionState
from paho.mqtt.exception import MalformedPacket
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from gateway.paho_client import HEADER_PEEK, READ_SIZE, LeanClient, parse_publish

PUBLISH_QOS1 = 0x32


def _properties(expiry: int | None, content_type: str | None, user: list[tuple[str, str]]) -> bytes:
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho lacks hints
    if expiry is not None:
        props.MessageExpiryInterval = expiry
    if content_type is not None:
        props.ContentType = content_type
    if user:
        props.UserProperty = user
    return bytes(props.pack())  # type: ignore[no-untyped-call]


def _body(topic: bytes, mid: int, properties: bytes | None, payload: bytes) -> bytes:
    return len(topic).to_bytes(2, "big") + topic + mid.to_bytes(2, "big") + (properties or b"") + payload


TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)


@given(
    topic=TEXT.filter(bool),
    mid=st.integers(1, 65535),
    payload=st.binary(max_size=300),
    v5=st.booleans(),
    expiry=st.none() | st.integers(0, 2**32 - 1),
    content_type=st.none() | TEXT,
    user=st.lists(st.tuples(TEXT, TEXT), max_size=3),
)
@settings(max_examples=300)
def test_parse_matches_paho(
    topic: str,
    mid: int,
    payload: bytes,
    v5: bool,
    expiry: int | None,
    content_type: str | None,
    user: list[tuple[str, str]],
) -> None:
    properties = _properties(expiry, content_type, user) if v5 else None
    body = _body(topic.encode(), mid, properties, payload)
    protocol = MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311
    theirs = _packet.decode_publish(PUBLISH_QOS1, body, protocol)
    assert parse_publish(body, v5) == (theirs.mid, theirs.topic.decode(), theirs.payload)
    assert parse_publish(bytearray(body), v5) == (mid, topic, payload)


@given(cut=st.integers(0, 200), v5=st.booleans())
@settings(max_examples=200)
def test_truncated_packets_are_malformed_not_a_crash(cut: int, v5: bool) -> None:
    properties = _properties(60, "application/cose", [("k", "v" * 40)]) if v5 else None
    body = _body(b"leasechain/v1/" + b"ab" * 16 + b"/data", 7, properties, b"\xd2\x84" + bytes(60))
    # The header and properties end 95 (v5) or 50 bytes in; past that a cut only shortens the payload.
    header = 2 + 51 + 2 + (len(properties) if properties else 0)
    cut = min(cut, header - 1)
    with pytest.raises(MalformedPacket):
        parse_publish(body[:cut], v5)


def test_empty_topic_is_refused_in_mqtt_3() -> None:
    body = _body(b"", 1, None, b"x")
    with pytest.raises(MalformedPacket, match="empty"):
        parse_publish(body, v5=False)
    assert parse_publish(_body(b"", 1, b"\x00", b"x"), v5=True) == (1, "", b"x")


def test_a_topic_that_is_not_utf8_is_replaced_not_raised() -> None:
    mid, topic, payload = parse_publish(_body(b"leasechain/\xff/data", 3, None, b"p"), v5=False)
    assert (mid, payload) == (3, b"p")
    assert topic == "leasechain/\ufffd/data"


def test_acknowledging_many_queues_the_pubacks_ack_would_send_in_one_write() -> None:
    one_by_one = LeanClient(CallbackAPIVersion.VERSION2, client_id="a", manual_ack=True)
    together = LeanClient(CallbackAPIVersion.VERSION2, client_id="b", manual_ack=True)
    mids = [1, 2, 300, 65535]
    for mid in mids:
        one_by_one.ack(mid, 1)
    together.ack_qos1(mids)
    together.ack_qos1([])  # nothing committed: nothing queued
    queued = [bytes(p["packet"]) for p in one_by_one._out_packet]
    assert len(queued) == len(mids)
    assert [bytes(p["packet"]) for p in together._out_packet] == [b"".join(queued)]


# --- The reader (LeanClient.loop_read) against paho's own, over a real socket pair ------------------------

PINGRESP = b"\xd0\x00"
Message = tuple[int, str, bytes, int]  # packet id, topic, payload, QoS: what either client delivered


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _frame(command: int, body: bytes) -> bytes:
    return bytes([command]) + _varint(len(body)) + body


def _qos0_body(topic: bytes, properties: bytes | None, payload: bytes) -> bytes:
    return len(topic).to_bytes(2, "big") + topic + (properties or b"") + payload


def _protocol(v5: bool) -> MQTTProtocolVersion:
    return MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311


def _connect(client: paho.Client) -> socket.socket:
    """Give ``client`` one end of a new socket pair, non-blocking, as if connected; return the broker's."""
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    client._sock = ours
    client._state = _ConnectionState.MQTT_CS_CONNECTED
    return theirs


def _collect_messages(client: paho.Client) -> list[Message]:
    messages: list[Message] = []

    def on_message(_client: paho.Client, _userdata: object, msg: paho.MQTTMessage) -> None:
        messages.append((msg.mid, msg.topic, bytes(msg.payload), msg.qos))

    client.on_message = on_message
    return messages


class _Lean:
    """A LeanClient with manual acknowledgement on a socket pair, recording what it delivers and how."""

    def __init__(self, v5: bool = False) -> None:
        self.client = LeanClient(
            CallbackAPIVersion.VERSION2, client_id="lean", protocol=_protocol(v5), manual_ack=True
        )
        self.messages = _collect_messages(self.client)  # everything, in delivery order
        self.batches: list[list[tuple[int, str, bytes]]] = []  # each list given to on_publish_qos1
        self.disconnects: list[ReasonCode] = []
        self.client.on_publish_qos1 = self._on_publish_qos1
        self.client.on_disconnect = self._on_disconnect
        self.peer = _connect(self.client)

    def _on_publish_qos1(self, publishes: list[tuple[int, str, bytes]]) -> None:
        self.batches.append(publishes)
        self.messages.extend((mid, topic, payload, 1) for mid, topic, payload in publishes)

    def _on_disconnect(
        self,
        _client: paho.Client,
        _userdata: object,
        _flags: paho.DisconnectFlags,
        reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        self.disconnects.append(reason)

    def send(self, data: bytes) -> MQTTErrorCode:
        """The broker sends ``data``; the client reads once."""
        self.peer.sendall(data)
        return self.client.loop_read()

    def close(self) -> None:
        self.peer.close()
        if self.client._sock is not None:
            self.client._sock.close()


def _pending(sock: socket.socket) -> bool:
    """Whether ``sock`` has bytes to read (never waits)."""
    try:
        return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
    except BlockingIOError:
        return False


def _paho_reads(chunks: list[bytes], v5: bool) -> tuple[list[Message], list[MQTTErrorCode]]:
    """What a plain paho.Client delivers for the stream ``chunks``, each read until the socket is drained."""
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id="paho", protocol=_protocol(v5), manual_ack=True
    )
    messages = _collect_messages(client)
    peer = _connect(client)
    ours = client._sock
    assert isinstance(ours, socket.socket)
    rcs: list[MQTTErrorCode] = []
    try:
        for chunk in chunks:
            peer.sendall(chunk)
            while client._sock is not None and _pending(ours):  # paho reads at most one packet per call
                rcs.append(client.loop_read())
        return messages, rcs
    finally:
        peer.close()
        ours.close()


@st.composite
def _streams(draw: st.DrawFn) -> tuple[bool, list[bytes], list[Message]]:
    """A protocol version, the bytes a broker sends and the messages they carry, in order."""
    v5 = draw(st.booleans())
    stream: list[bytes] = []
    expected: list[Message] = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["qos1", "qos1", "qos1", "qos0", "qos2", "pingresp"]))
        if kind == "pingresp":
            stream.append(PINGRESP)
            continue
        topic = draw(TEXT if v5 else TEXT.filter(bool))
        payload = draw(st.binary(max_size=300))
        mid = draw(st.integers(1, 65535))
        flags = draw(st.sampled_from([0x0, 0x1, 0x8, 0x9]))  # RETAIN, DUP
        properties = None
        if v5:
            properties = _properties(
                draw(st.none() | st.integers(0, 2**32 - 1)),
                draw(st.none() | TEXT),
                draw(st.lists(st.tuples(TEXT, TEXT), max_size=3)),
            )
        if kind == "qos0":
            stream.append(_frame(0x30 | flags & 0x1, _qos0_body(topic.encode(), properties, payload)))
            expected.append((0, topic, payload, 0))
        elif kind == "qos1":
            stream.append(_frame(PUBLISH_QOS1 | flags, _body(topic.encode(), mid, properties, payload)))
            expected.append((mid, topic, payload, 1))
        else:  # QoS 2: the PUBLISH, then the broker's PUBREL releases it to on_message
            stream.append(_frame(0x34 | flags, _body(topic.encode(), mid, properties, payload)))
            stream.append(_frame(0x62, mid.to_bytes(2, "big")))
            expected.append((mid, topic, payload, 2))
    return v5, stream, expected


def _cut(data: st.DataObject, stream: bytes) -> list[bytes]:
    """``data`` in random pieces: single bytes, a few bytes (splitting length fields) or larger runs."""
    chunks: list[bytes] = []
    pos = 0
    while pos < len(stream):
        size = data.draw(st.one_of(st.just(1), st.integers(1, 6), st.integers(1, 600)))
        chunks.append(stream[pos : pos + size])
        pos += size
    return chunks


@given(stream=_streams(), data=st.data())
@settings(max_examples=300, deadline=None)
def test_reader_delivers_what_paho_reader_delivers_whatever_the_chunks(
    stream: tuple[bool, list[bytes], list[Message]], data: st.DataObject
) -> None:
    v5, packets, expected = stream
    chunks = _cut(data, b"".join(packets))
    assert b"".join(chunks) == b"".join(packets)
    lean = _Lean(v5)
    try:
        rcs = [lean.send(chunk) for chunk in chunks]
        assert rcs == [MQTTErrorCode.MQTT_ERR_SUCCESS] * len(chunks)
        assert lean.client._sock is not None
        assert not getattr(lean.client, "_read_buffer", b"")  # every packet was complete by the last chunk
    finally:
        lean.close()
    assert lean.messages == expected
    assert [m for batch in lean.batches for m in batch] == [m[:3] for m in expected if m[3] == 1]
    assert all(lean.batches)  # no empty lists handed over
    theirs, paho_rcs = _paho_reads(chunks, v5)
    assert set(paho_rcs) <= {MQTTErrorCode.MQTT_ERR_SUCCESS}
    assert theirs == expected


def test_one_recv_of_many_packets_is_one_list() -> None:
    lean = _Lean()
    publishes = [(mid, f"leasechain/v1/dev{mid}/data", bytes([mid]) * mid) for mid in range(1, 60)]
    stream = b"".join(_frame(PUBLISH_QOS1, _body(t.encode(), mid, None, p)) for mid, t, p in publishes)
    try:
        assert lean.send(stream) == MQTTErrorCode.MQTT_ERR_SUCCESS
    finally:
        lean.close()
    assert lean.batches == [publishes]


def test_a_stream_longer_than_one_read_is_reassembled() -> None:
    lean = _Lean(v5=True)
    payload = bytes(range(256)) * 4
    publishes = [(mid, "leasechain/v1/x/data", payload) for mid in range(1, 100)]  # about 100 KB
    stream = b"".join(_frame(PUBLISH_QOS1, _body(t.encode(), mid, b"\x00", p)) for mid, t, p in publishes)
    first = READ_SIZE + 5000  # more than one read takes: a packet is cut where the read stops
    ours = lean.client._sock
    assert isinstance(ours, socket.socket)
    try:
        rcs = [lean.send(stream[:first])]
        assert _pending(ours)
        lean.peer.sendall(stream[first:])
        while _pending(ours):
            rcs.append(lean.client.loop_read())
        assert not lean.client._read_buffer
    finally:
        lean.close()
    assert rcs == [MQTTErrorCode.MQTT_ERR_SUCCESS] * 2  # 65536 bytes, then the rest
    assert len(lean.batches) == 2
    assert [m for batch in lean.batches for m in batch] == publishes


def test_nothing_to_read_is_success_and_nothing_delivered() -> None:
    lean = _Lean()
    try:
        assert lean.client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
        assert lean.client._sock is not None
    finally:
        lean.close()
    assert lean.messages == []
    assert lean.disconnects == []


GOOD = _frame(PUBLISH_QOS1, _body(b"leasechain/v1/a/data", 1, None, b"first"))
GOOD_QOS0 = _frame(0x30, _qos0_body(b"leasechain/v1/a/data", None, b"zero"))


@pytest.mark.parametrize("bytewise", [False, True], ids=["one-read", "byte-by-byte"])
def test_a_remaining_length_of_five_bytes_is_a_protocol_error(bytewise: bool) -> None:
    bad = b"\x32\xff\xff\xff\xff\x7f"
    stream = GOOD + GOOD_QOS0 + GOOD + bad + GOOD
    lean = _Lean()
    try:
        if bytewise:
            rcs = [lean.send(stream[i : i + 1]) for i in range(len(GOOD) * 2 + len(GOOD_QOS0) + 5)]
            assert rcs[:-1] == [MQTTErrorCode.MQTT_ERR_SUCCESS] * (len(rcs) - 1)
            rc = rcs[-1]  # the fourth length byte still says "more": no valid length can follow
        else:
            rc = lean.send(stream)
        assert rc == MQTTErrorCode.MQTT_ERR_PROTOCOL
        assert lean.client._sock is None
        assert len(lean.disconnects) == 1
    finally:
        lean.close()
    first, zero = (1, "leasechain/v1/a/data", b"first", 1), (0, "leasechain/v1/a/data", b"zero", 0)
    assert lean.messages == [first, zero, first]
    theirs, paho_rcs = _paho_reads([stream], v5=False)
    assert paho_rcs[-1] == MQTTErrorCode.MQTT_ERR_PROTOCOL
    assert theirs == lean.messages


TRUNCATED = {
    "shorter-than-a-packet-id": (False, _frame(PUBLISH_QOS1, b"\x00\x01a")),
    "topic-overruns": (False, _frame(PUBLISH_QOS1, b"\x00\xffleasechain\x00\x07")),
    "no-room-for-packet-id": (False, _frame(PUBLISH_QOS1, b"\x00\x03abc\x00")),
    "empty-topic-mqtt3": (False, _frame(PUBLISH_QOS1, _body(b"", 5, None, b"x"))),
    "properties-overrun": (True, _frame(PUBLISH_QOS1, _body(b"t", 5, b"\x09\x01", b""))),
    "property-length-cut": (True, _frame(PUBLISH_QOS1, _body(b"t", 5, b"\x80", b""))),
    "qos0-topic-overruns": (False, _frame(0x30, b"\x00\x09abc")),
}


@pytest.mark.parametrize(("v5", "bad"), list(TRUNCATED.values()), ids=list(TRUNCATED))
def test_a_truncated_publish_is_a_protocol_error_not_an_exception(v5: bool, bad: bytes) -> None:
    lean = _Lean(v5)
    good = _frame(PUBLISH_QOS1, _body(b"leasechain/v1/a/data", 1, b"\x00" if v5 else None, b"first"))
    try:
        assert lean.send(good + bad + good) == MQTTErrorCode.MQTT_ERR_PROTOCOL
        assert lean.client._sock is None
        assert len(lean.disconnects) == 1
    finally:
        lean.close()
    assert lean.messages == [(1, "leasechain/v1/a/data", b"first", 1)]  # what came before it was delivered
    theirs, paho_rcs = _paho_reads([good + bad + good], v5)
    assert (theirs, paho_rcs[-1]) == (lean.messages, MQTTErrorCode.MQTT_ERR_PROTOCOL)


@pytest.mark.parametrize("half", [b"", GOOD[:1], GOOD[:7]], ids=["nothing", "command", "mid-body"])
def test_the_peer_closing_is_connection_lost(half: bytes) -> None:
    lean = _Lean()
    try:
        assert lean.send(GOOD + half) == MQTTErrorCode.MQTT_ERR_SUCCESS
        lean.peer.close()
        assert lean.client.loop_read() == MQTTErrorCode.MQTT_ERR_CONN_LOST
        assert lean.client._sock is None
        assert lean.client._state == _ConnectionState.MQTT_CS_CONNECTION_LOST
        assert len(lean.disconnects) == 1
    finally:
        lean.close()
    assert lean.batches == [[(1, "leasechain/v1/a/data", b"first")]]


@pytest.mark.parametrize("cut", [1, 2, 7, len(GOOD) - 1])
def test_half_a_packet_from_the_old_socket_is_not_prepended_to_the_new_one(cut: int) -> None:
    lean = _Lean()
    try:
        assert lean.send(GOOD[:cut]) == MQTTErrorCode.MQTT_ERR_SUCCESS
        assert lean.messages == []
        old = lean.client._sock
        assert old is not None
        lean.peer.close()
        old.close()
        lean.peer = _connect(lean.client)  # reconnected, without a read seeing the old socket's end
        second = _frame(PUBLISH_QOS1, _body(b"leasechain/v1/b/data", 2, None, b"second"))
        assert lean.send(second) == MQTTErrorCode.MQTT_ERR_SUCCESS
        assert lean.client._sock is not None
    finally:
        lean.close()
    assert lean.batches == [[(2, "leasechain/v1/b/data", b"second")]]


def test_a_pingresp_between_publishes_reaches_paho_in_order() -> None:
    lean = _Lean()
    seen: list[float] = []
    record = lean.client.on_publish_qos1
    assert record is not None

    def on_publish_qos1(publishes: list[tuple[int, str, bytes]]) -> None:
        seen.append(lean.client._ping_t)
        record(publishes)

    lean.client.on_publish_qos1 = on_publish_qos1
    lean.client._ping_t = 12345.0  # a PINGREQ is outstanding
    second = _frame(PUBLISH_QOS1, _body(b"leasechain/v1/b/data", 2, None, b"second"))
    try:
        assert lean.send(GOOD + PINGRESP + second) == MQTTErrorCode.MQTT_ERR_SUCCESS
        assert lean.client._ping_t == 0
    finally:
        lean.close()
    assert lean.batches == [[(1, "leasechain/v1/a/data", b"first")], [(2, "leasechain/v1/b/data", b"second")]]
    assert seen == [12345.0, 0]  # the first message before the PINGRESP was handled, the second after


class _Streaming(_Lean):
    """A lean client that streams long payloads, recording what it hands over as oversize."""

    def __init__(self, v5: bool = False) -> None:
        super().__init__(v5)
        self.oversize: list[tuple[int, str, bytes, int, bytes]] = []
        self.client.max_payload = 1024
        self.client.on_oversize_qos1 = self._on_oversize

    def _on_oversize(self, mid: int, topic: str, head: bytes, size: int, sha256: bytes) -> None:
        self.oversize.append((mid, topic, head, size, sha256))
        self.messages.append((mid, topic, b"<oversize>", 1))


def _random_cut(rng: random.Random, stream: bytes) -> list[bytes]:
    """``stream`` in pieces of 1 byte to 100 KB, the small ones splitting headers and length fields."""
    chunks: list[bytes] = []
    pos = 0
    while pos < len(stream):
        size = rng.choice([1, rng.randrange(1, 8), rng.randrange(1, 3000), rng.randrange(1, 100_000)])
        chunks.append(stream[pos : pos + size])
        pos += size
    return chunks


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("v5", [False, True])
def test_long_publishes_are_streamed_past_in_order_whatever_the_chunks(seed: int, v5: bool) -> None:
    big = bytes(range(256)) * 1200  # 300 KiB, several reads
    properties = b"\x00" if v5 else None
    long_properties = _properties(None, None, [("k", "v" * 30_000)] * 3) if v5 else None
    packets = [
        (1, "a/data", properties, b"small"),
        (2, "b/data", properties, big),
        (3, "c/data", properties, b"x" * 1024),
        (4, "d/data", long_properties, b"within"),  # a long packet whose payload is within the limit
        (5, "e/data", properties, big[:70_000]),
        (6, "f/data", properties, b"last"),
    ]
    stream = b"".join(_frame(PUBLISH_QOS1, _body(t.encode(), m, p, pl)) for m, t, p, pl in packets)
    lean = _Streaming(v5)
    ours = lean.client._sock
    assert isinstance(ours, socket.socket)
    largest_buffer = 0
    try:
        for chunk in _random_cut(random.Random(seed), stream):
            lean.peer.sendall(chunk)
            while _pending(ours):
                assert lean.client.loop_read() == MQTTErrorCode.MQTT_ERR_SUCCESS
                largest_buffer = max(largest_buffer, len(lean.client._read_buffer))
    finally:
        lean.close()
    assert [m[0] for m in lean.messages] == [1, 2, 3, 4, 5, 6]  # in arrival order
    small = {m[0]: m[2] for m in lean.messages}
    assert (small[1], small[3], small[4], small[6]) == (b"small", b"x" * 1024, b"within", b"last")
    assert lean.oversize == [
        (2, "b/data", big[:1024], len(big), hashlib.sha256(big).digest()),
        (5, "e/data", big[:1024], 70_000, hashlib.sha256(big[:70_000]).digest()),
    ]
    assert largest_buffer < READ_SIZE + HEADER_PEEK  # never a whole long packet


def test_a_long_publish_left_half_read_does_not_follow_onto_a_new_connection() -> None:
    lean = _Streaming()
    packet = _frame(PUBLISH_QOS1, _body(b"t/data", 9, None, b"\x07" * 200_000))
    try:
        lean.send(packet[:100_000])
        lean.close()
        lean.peer = _connect(lean.client)
        fresh = _frame(PUBLISH_QOS1, _body(b"t/data", 1, None, b"new"))
        assert lean.send(fresh) == MQTTErrorCode.MQTT_ERR_SUCCESS
    finally:
        lean.close()
    assert lean.oversize == []
    assert lean.batches == [[(1, "t/data", b"new")]]
