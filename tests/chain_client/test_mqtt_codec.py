"""The MQTT codec against paho-mqtt: its PUBLISH parser against paho's decoder, its reader against paho's."""

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
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from chain_client import mqtt_codec as codec
from chain_client.mqtt_codec import HEADER_PEEK, MalformedPacketError, Oversize, Packet, Reader, parse_publish

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
    with pytest.raises(MalformedPacketError):
        parse_publish(body[:cut], v5)


def test_empty_topic_is_refused_in_mqtt_3() -> None:
    body = _body(b"", 1, None, b"x")
    with pytest.raises(MalformedPacketError, match="empty"):
        parse_publish(body, v5=False)
    assert parse_publish(_body(b"", 1, b"\x00", b"x"), v5=True) == (1, "", b"x")


def test_a_topic_that_is_not_utf8_is_replaced_not_raised() -> None:
    mid, topic, payload = parse_publish(_body(b"leasechain/\xff/data", 3, None, b"p"), v5=False)
    assert (mid, payload) == (3, b"p")
    assert topic == "leasechain/\ufffd/data"


def test_pubacks_are_the_packets_paho_would_queue() -> None:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="a", manual_ack=True)
    mids = [1, 2, 300, 65535]
    for mid in mids:
        client.ack(mid, 1)
    assert codec.pubacks(mids) == b"".join(bytes(p["packet"]) for p in client._out_packet)
    assert codec.pubacks([]) == b""


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, b"\x00"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (16_383, b"\xff\x7f"),
        (16_384, b"\x80\x80\x01"),
        (2_097_151, b"\xff\xff\x7f"),
        (2_097_152, b"\x80\x80\x80\x01"),
        (268_435_455, b"\xff\xff\xff\x7f"),
    ],
)
def test_variable_byte_integers_of_the_specification(value: int, encoded: bytes) -> None:
    # The boundaries of MQTT 5 section 1.5.5 (the same in 3.1.1, section 2.2.3).
    assert codec.encode_varint(value) == encoded
    assert codec.decode_varint(b"?" + encoded + b"!", 1, len(encoded) + 2) == (value, len(encoded) + 1)
    assert codec.decode_varint(encoded, 0, len(encoded) - 1) is None  # cut off
    paho_client = paho.Client(CallbackAPIVersion.VERSION2)
    assert bytes(paho_client._pack_remaining_length(bytearray(), value)) == encoded  # paho agrees


def test_a_variable_byte_integer_out_of_range() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        codec.encode_varint(268_435_456)
    with pytest.raises(MalformedPacketError, match="longer than 4 bytes"):
        codec.decode_varint(b"\xff\xff\xff\xff\x01", 0, 5)


# --- The reader (codec.Reader) against paho's reader, on the same streams ---------------------------------

PINGRESP = b"\xd0\x00"
Message = tuple[int, str, bytes, int]  # packet id, topic, payload, QoS: what either side delivered


def _frame(command: int, body: bytes) -> bytes:
    return bytes([command]) + codec.encode_varint(len(body)) + body


def _qos0_body(topic: bytes, properties: bytes | None, payload: bytes) -> bytes:
    return len(topic).to_bytes(2, "big") + topic + (properties or b"") + payload


def _protocol(v5: bool) -> MQTTProtocolVersion:
    return MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311


def _messages(events: list[codec.Event], v5: bool) -> list[Message]:
    """The messages in the reader's events, as paho's on_message would see them (QoS 2 at its PUBLISH)."""
    out: list[Message] = []
    for event in events:
        if isinstance(event, list):
            out.extend((mid, topic, payload, 1) for mid, topic, payload in event)
        elif isinstance(event, Oversize):
            out.append((event.mid, event.topic, b"<oversize>", 1))
        elif event.command & 0xF0 == codec.PUBLISH:
            qos = (event.command >> 1) & 3
            mid, topic, payload = parse_publish(event.body, v5, qos=qos)
            out.append((mid, topic, payload, qos))
    return out


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
    messages: list[Message] = []

    def on_message(_client: paho.Client, _userdata: object, msg: paho.MQTTMessage) -> None:
        messages.append((msg.mid, msg.topic, bytes(msg.payload), msg.qos))

    client.on_message = on_message
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    client._sock = ours
    client._state = _ConnectionState.MQTT_CS_CONNECTED
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


def _read(chunks: list[bytes], v5: bool, stream_above: int | None = None) -> tuple[list[codec.Event], Reader]:
    reader = Reader(v5, stream_above)
    events: list[codec.Event] = []
    for chunk in chunks:
        events.extend(reader.feed(chunk))
    return events, reader


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
        else:  # QoS 2: the PUBLISH, then the broker's PUBREL releases it to paho's on_message
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
    events, reader = _read(chunks, v5)
    assert reader.pending == 0  # every packet was complete by the last chunk
    assert _messages(events, v5) == expected
    assert all(event for event in events if isinstance(event, list))  # no empty lists handed over
    theirs, paho_rcs = _paho_reads(chunks, v5)
    assert set(paho_rcs) <= {MQTTErrorCode.MQTT_ERR_SUCCESS}
    assert theirs == expected


def test_one_feed_of_many_packets_is_one_list() -> None:
    publishes = [(mid, f"leasechain/v1/dev{mid}/data", bytes([mid]) * mid) for mid in range(1, 60)]
    stream = b"".join(_frame(PUBLISH_QOS1, _body(t.encode(), mid, None, p)) for mid, t, p in publishes)
    assert Reader(v5=False).feed(stream) == [publishes]


def test_a_pingresp_between_publishes_comes_between_them() -> None:
    first = _frame(PUBLISH_QOS1, _body(b"leasechain/v1/a/data", 1, None, b"first"))
    second = _frame(PUBLISH_QOS1, _body(b"leasechain/v1/b/data", 2, None, b"second"))
    assert Reader(v5=False).feed(first + PINGRESP + second) == [
        [(1, "leasechain/v1/a/data", b"first")],
        Packet(codec.PINGRESP, b""),
        [(2, "leasechain/v1/b/data", b"second")],
    ]


GOOD = _frame(PUBLISH_QOS1, _body(b"leasechain/v1/a/data", 1, None, b"first"))
GOOD_QOS0 = _frame(0x30, _qos0_body(b"leasechain/v1/a/data", None, b"zero"))


@pytest.mark.parametrize("bytewise", [False, True], ids=["one-read", "byte-by-byte"])
def test_a_remaining_length_of_five_bytes_is_malformed(bytewise: bool) -> None:
    bad = b"\x32\xff\xff\xff\xff\x7f"
    stream = GOOD + GOOD_QOS0 + GOOD + bad + GOOD
    reader = Reader(v5=False)
    events: list[codec.Event] = []
    # Byte by byte, the fourth length byte still says "more": no valid length can follow.
    cut = len(GOOD) * 2 + len(GOOD_QOS0) + 4 if bytewise else 0
    for i in range(cut):
        events.extend(reader.feed(stream[i : i + 1]))
    with pytest.raises(MalformedPacketError, match="longer than 4 bytes") as raised:
        reader.feed(stream[cut : cut + 1] if bytewise else stream)
    events.extend(raised.value.before)
    first, zero = (1, "leasechain/v1/a/data", b"first", 1), (0, "leasechain/v1/a/data", b"zero", 0)
    assert _messages(events, v5=False) == [first, zero, first]  # what came before it was delivered
    theirs, paho_rcs = _paho_reads([stream], v5=False)
    assert paho_rcs[-1] == MQTTErrorCode.MQTT_ERR_PROTOCOL
    assert theirs == [first, zero, first]


TRUNCATED = {
    "shorter-than-a-packet-id": (False, _frame(PUBLISH_QOS1, b"\x00\x01a")),
    "topic-overruns": (False, _frame(PUBLISH_QOS1, b"\x00\xffleasechain\x00\x07")),
    "no-room-for-packet-id": (False, _frame(PUBLISH_QOS1, b"\x00\x03abc\x00")),
    "empty-topic-mqtt3": (False, _frame(PUBLISH_QOS1, _body(b"", 5, None, b"x"))),
    "properties-overrun": (True, _frame(PUBLISH_QOS1, _body(b"t", 5, b"\x09\x01", b""))),
    "property-length-cut": (True, _frame(PUBLISH_QOS1, _body(b"t", 5, b"\x80", b""))),
}


@pytest.mark.parametrize(("v5", "bad"), list(TRUNCATED.values()), ids=list(TRUNCATED))
def test_a_truncated_publish_is_malformed_and_what_came_before_is_kept(v5: bool, bad: bytes) -> None:
    good = _frame(PUBLISH_QOS1, _body(b"leasechain/v1/a/data", 1, b"\x00" if v5 else None, b"first"))
    with pytest.raises(MalformedPacketError) as raised:
        Reader(v5).feed(good + bad + good)
    assert raised.value.before == [[(1, "leasechain/v1/a/data", b"first")]]
    theirs, paho_rcs = _paho_reads([good + bad + good], v5)
    assert (theirs, paho_rcs[-1]) == (_messages(raised.value.before, v5), MQTTErrorCode.MQTT_ERR_PROTOCOL)


def test_a_qos0_publish_whose_topic_overruns_is_malformed_as_paho_says() -> None:
    bad = _frame(0x30, b"\x00\x09abc")
    (packet,) = Reader(v5=False).feed(bad)  # the reader frames it; the parse says what is wrong
    assert isinstance(packet, Packet)
    with pytest.raises(MalformedPacketError, match="overruns"):
        parse_publish(packet.body, v5=False, qos=0)
    assert _paho_reads([bad], v5=False)[1][-1] == MQTTErrorCode.MQTT_ERR_PROTOCOL


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
    reader = Reader(v5, stream_above=1024)
    events: list[codec.Event] = []
    largest_buffer = 0
    for chunk in _random_cut(random.Random(seed), stream):
        for piece in range(0, len(chunk), 65536):  # as a socket read of at most 64 KiB would give them
            events.extend(reader.feed(chunk[piece : piece + 65536]))
            largest_buffer = max(largest_buffer, reader.pending)
    messages = _messages(events, v5)
    assert [m[0] for m in messages] == [1, 2, 3, 4, 5, 6]  # in arrival order
    small = {m[0]: m[2] for m in messages}
    assert (small[1], small[3], small[4], small[6]) == (b"small", b"x" * 1024, b"within", b"last")
    assert [e for e in events if isinstance(e, Oversize)] == [
        (2, "b/data", big[:1024], len(big), hashlib.sha256(big).digest()),
        (5, "e/data", big[:1024], 70_000, hashlib.sha256(big[:70_000]).digest()),
    ]
    assert largest_buffer < 65536 + HEADER_PEEK  # never a whole long packet


@pytest.mark.parametrize("v5", [False, True])
def test_packets_a_client_sends_read_back(v5: bool) -> None:
    publish = codec.publish_packet(b"leasechain/v1/a/data", b"payload", 1, False, 7, v5=v5)
    assert Reader(v5).feed(publish) == [[(7, "leasechain/v1/a/data", b"payload")]]
    theirs, _ = _paho_reads([publish], v5)
    assert theirs == [(7, "leasechain/v1/a/data", b"payload", 1)]
    subscribe = codec.subscribe_packet(3, [("leasechain/v1/+/data", 1), ("$share/g/x", 1)], v5=v5)
    (packet,) = Reader(v5).feed(subscribe)
    assert packet == Packet(
        0x82,
        b"\x00\x03" + (b"\x00" if v5 else b"") + (b"\x00\x14leasechain/v1/+/data\x01\x00\x0a$share/g/x\x01"),
    )


def test_connect_packets() -> None:
    v3 = codec.connect_packet("gw", 60, clean=False, username="u", password="p")
    assert v3 == _frame(0x10, b"\x00\x04MQTT\x04\xc0\x00\x3c\x00\x02gw\x00\x01u\x00\x01p")
    v5 = codec.connect_packet("gw", 30, clean=False, v5=True, session_expiry=3600)
    assert v5 == _frame(0x10, b"\x00\x04MQTT\x05\x00\x00\x1e\x05\x11\x00\x00\x0e\x10\x00\x02gw")


def test_properties_are_read_as_paho_writes_them() -> None:
    props = Properties(PacketTypes.CONNACK)  # type: ignore[no-untyped-call]  # paho lacks hints
    props.ServerKeepAlive = 20
    props.ReasonString = "because"
    props.MaximumPacketSize = 1000
    props.UserProperty = [("a", "b")]
    packed = bytes(props.pack())  # type: ignore[no-untyped-call]
    found, end = codec.parse_properties(b"\x00\x00" + packed, 2)
    assert end == 2 + len(packed)
    assert found[codec.SERVER_KEEP_ALIVE] == 20
    assert found[codec.REASON_STRING] == b"because"
    assert found[0x27] == 1000
    assert found[0x26] == (b"a", b"b")
