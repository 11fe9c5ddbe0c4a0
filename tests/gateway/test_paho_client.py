"""The lean PUBLISH parser against paho's own decoder, on well-formed and truncated packets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt import _packet
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.exception import MalformedPacket
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gateway.paho_client import LeanClient, parse_publish

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
