"""Stateless verification: every reason of docs/protocol.md that needs no history."""

from __future__ import annotations

import json
from pathlib import Path

import cbor2
from hypothesis import given, settings
from hypothesis import strategies as st

from chain_client import cose, topics
from chain_client.reasons import Reason
from gateway.registry import DeviceEntry, Registry, build
from gateway.verifier import Accepted, Limits, Rejected, Verifier
from tests.gateway.helpers import NOW, Sensor

GOOD = Sensor.make(1)
REVOKED = Sensor.make(2)
ROTATED = Sensor.make(3)
STRANGER = Sensor.make(4)


def _verifier() -> Verifier:
    entries = [
        DeviceEntry(public_key=GOOD.public_hex),
        DeviceEntry(public_key=REVOKED.public_hex, state="revoked"),
        DeviceEntry(public_key=ROTATED.public_hex, state="rotated", rotated_at=NOW - 100),
    ]
    return Verifier(Registry(build(entries)), Limits(max_future=300, max_age=3600))


def _reason(raw: bytes, topic: str | None = None, at: float = NOW) -> Reason | None:
    verdict = _verifier().check(raw, topic, at)
    return verdict.reason if isinstance(verdict, Rejected) else None


def test_genuine_reading_is_accepted_on_its_topic_and_over_serial() -> None:
    raw = Sensor.make(1).reading()
    for topic in (GOOD.topic, None):
        verdict = _verifier().check(raw, topic, NOW)
        assert isinstance(verdict, Accepted)
        assert verdict.message.raw == raw


def test_each_stateless_reason() -> None:
    raw = Sensor.make(1).reading()
    assert _reason(raw + b"\x00" * 1024) is Reason.OVERSIZE
    assert _reason(raw[:-3]) is Reason.BAD_CBOR
    assert _reason(cbor2.dumps(cbor2.CBORTag(17, [1]))) is Reason.WRONG_TAG
    assert _reason(raw, topics.topic(STRANGER.id, "data")) is Reason.TOPIC_MISMATCH
    assert _reason(raw, GOOD.topic.replace("/data", "/birth")) is Reason.TOPIC_MISMATCH
    assert _reason(raw, "some/other/topic") is Reason.TOPIC_MISMATCH
    assert _reason(Sensor.make(4).reading()) is Reason.UNKNOWN_DEVICE
    assert _reason(Sensor.make(2).reading()) is Reason.REVOKED_DEVICE
    assert _reason(raw[:-1] + bytes([raw[-1] ^ 0x80])) is Reason.BAD_SIGNATURE
    # Forged: right kid and payload, signature of another key.
    protected = cose.protected_header(GOOD.id)
    payload = cbor2.loads(raw).value[2]
    forged = cose.assemble(
        protected, payload, STRANGER.key.sign(cose.sig_structure(protected, payload)).signature
    )
    assert _reason(forged) is Reason.BAD_SIGNATURE


def test_clock_skew_only_for_synced_time() -> None:
    assert _reason(Sensor.make(1).reading(time=NOW + 301)) is Reason.CLOCK_SKEW
    assert _reason(Sensor.make(1).reading(time=NOW - 3601)) is Reason.CLOCK_SKEW
    assert _reason(Sensor.make(1).reading(time=NOW + 299)) is None
    assert _reason(Sensor.make(1).reading(time=5, time_synced=False)) is None


def test_rotated_key_only_for_provably_older_messages() -> None:
    assert _reason(Sensor.make(3).reading(time=NOW - 200)) is None
    assert _reason(Sensor.make(3).reading(time=NOW - 50)) is Reason.REVOKED_DEVICE
    assert _reason(Sensor.make(3).reading(time=NOW - 200, time_synced=False)) is Reason.REVOKED_DEVICE


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=1200))
def test_random_bytes_never_raise(data: bytes) -> None:
    verdict = _verifier().check(data, GOOD.topic, NOW)
    assert isinstance(verdict, Rejected)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=255))
def test_any_single_byte_change_is_rejected(position: int, value: int) -> None:
    raw = Sensor.make(1).reading()
    position %= len(raw)
    if raw[position] == value:
        return
    mutated = raw[:position] + bytes([value]) + raw[position + 1 :]
    assert isinstance(_verifier().check(mutated, GOOD.topic, NOW), Rejected)


def test_protocol_vectors() -> None:
    vectors = json.loads((Path(__file__).parents[1] / "vectors" / "protocol.json").read_text())
    registry = Registry(build([DeviceEntry(public_key=vectors["public_key"])]))
    verifier = Verifier(registry)
    at = 1_764_000_000
    for vector in vectors["valid"]:
        verdict = verifier.check(bytes.fromhex(vector["message"]), None, at)
        assert isinstance(verdict, Accepted), (vector["name"], verdict)
        assert verdict.message.digest.hex() == vector["digest"]
    for vector in vectors["invalid"]:
        verdict = verifier.check(bytes.fromhex(vector["message"]), None, at)
        assert isinstance(verdict, Rejected), vector["name"]
        assert verdict.reason.value == vector["reason"], (vector["name"], verdict)


def test_a_mixed_group_gets_each_message_its_own_verdict_in_order() -> None:
    # check_many checks the signatures of the screened messages in one call; the verdicts must still
    # line up with the messages that the screening rejected in between.
    good, revoked, rotated = Sensor.make(1), Sensor.make(2), Sensor.make(3)
    first = good.reading()
    forged = bytearray(good.reading())
    forged[-1] ^= 0x01
    items: list[tuple[bytes, str | None, float]] = [
        (first, GOOD.topic, NOW),
        (b"\xd2\x84junk", None, NOW),
        (bytes(forged), None, NOW),
        (revoked.reading(), None, NOW),
        (good.reading(time=NOW + 10_000), None, NOW),  # signed, but from the future
        (Sensor.make(4).reading(), None, NOW),
        (rotated.reading(time=NOW - 1000), None, NOW),  # signed before the rotation: accepted
        (good.reading(), GOOD.topic, NOW),
    ]
    verifier = _verifier()
    together = verifier.check_many(items)
    one_by_one = [verifier.check(*item) for item in items]
    assert together == one_by_one
    reasons = [v.reason if isinstance(v, Rejected) else None for v in together]
    assert reasons == [
        None,
        Reason.BAD_CBOR,
        Reason.BAD_SIGNATURE,
        Reason.REVOKED_DEVICE,
        Reason.CLOCK_SKEW,
        Reason.UNKNOWN_DEVICE,
        None,
        None,
    ]
    assert verifier.check_many([]) == []
