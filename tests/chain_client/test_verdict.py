"""The verdict rule that the ledger, the offline auditor and the credit replay share."""

from __future__ import annotations

import hashlib

import cbor2
import pytest
from nacl.signing import SigningKey

from chain_client import cose, message
from chain_client.device import device_id
from chain_client.ledger.verdict import Key, Verdict, judge, judge_many, read, refusal
from chain_client.payload import Birth, Reading

ROTATED_AT = 1_714_564_800


def _key(label: str) -> SigningKey:
    return SigningKey(hashlib.sha256(label.encode()).digest())


DEVICE = _key("sensor")
OTHER = _key("another sensor")
DEVICE_ID = device_id(bytes(DEVICE.verify_key)).hex()


def _reading(
    *, seq: int = 1, time: int = ROTATED_AT - 60, synced: bool = True, key: SigningKey = DEVICE
) -> bytes:
    body = Reading(
        device_id=device_id(bytes(key.verify_key)),
        boot=3,
        seq=seq,
        time=time,
        time_synced=synced,
        readings={1: 2150},
        run_seconds=7200 + seq,
    )
    return message.sign(body, key)


def _birth(*, time: int = ROTATED_AT - 60, synced: bool = True) -> bytes:
    public = bytes(DEVICE.verify_key)
    body = Birth(
        device_id(public), boot=3, time=time, time_synced=synced, firmware="1.4.0", public_key=public
    )
    return message.sign(body, DEVICE)


_KID_HEADER = cose.protected_header(device_id(bytes(DEVICE.verify_key)))


def _keys(status: str = "active", ended_at: int = 0) -> dict[str, Key]:
    return {DEVICE_ID: Key(bytes(DEVICE.verify_key), status, ended_at)}


def _forged(raw: bytes) -> bytes:
    """The same message with one bit of its signature flipped (the signature is the last 64 bytes)."""
    return raw[:-1] + bytes([raw[-1] ^ 1])


def test_a_genuine_reading_under_its_active_key_verifies_with_its_fields() -> None:
    raw = _reading(seq=5, time=1_700_000_000)
    assert judge(raw, _keys()) == Verdict("", DEVICE_ID, "reading", 3, 5, 1_700_000_000, True, 7205)


def test_a_birth_message_is_judged_by_the_same_rule() -> None:
    assert judge(_birth(), _keys()) == Verdict("", DEVICE_ID, "birth", 3, 0, ROTATED_AT - 60, True, 0)
    assert judge(_birth(), _keys("revoked", ROTATED_AT)).reason == "revoked_device"


def test_a_device_with_no_bound_key_is_unknown() -> None:
    verdict = judge(_reading(key=OTHER), _keys())
    assert verdict.reason == "unknown_device"
    assert verdict.device == device_id(bytes(OTHER.verify_key)).hex()  # its fields are kept all the same
    assert judge(_reading(), {}).reason == "unknown_device"


def test_a_revoked_key_vouches_for_nothing_even_from_before_the_revocation() -> None:
    assert judge(_reading(time=ROTATED_AT - 3600), _keys("revoked", ROTATED_AT)).reason == "revoked_device"


@pytest.mark.parametrize(
    ("time", "synced", "reason"),
    [
        (ROTATED_AT - 1, True, ""),  # provably signed before the rotation: the buffer drained afterwards
        (ROTATED_AT, True, "revoked_device"),  # at the rotation is not before it
        (ROTATED_AT + 60, True, "revoked_device"),
        (ROTATED_AT - 3600, False, "revoked_device"),  # an unsynchronised clock proves nothing
    ],
    ids=["before the rotation", "at the rotation", "after the rotation", "unsynchronised time"],
)
def test_a_rotated_key_vouches_only_for_what_it_provably_signed_before(
    time: int, synced: bool, reason: str
) -> None:
    assert judge(_reading(time=time, synced=synced), _keys("rotated", ROTATED_AT)).reason == reason


def test_a_forged_signature_is_refused_under_an_active_or_rotated_key() -> None:
    forged = _forged(_reading())
    assert judge(forged, _keys()).reason == "bad_signature"
    assert judge(forged, _keys("rotated", ROTATED_AT)).reason == "bad_signature"


def test_the_key_rules_come_before_the_signature() -> None:
    """A forged message of a revoked or rotated-out key is stored as ``revoked_device``, as it always was."""
    assert judge(_forged(_reading()), _keys("revoked", ROTATED_AT)).reason == "revoked_device"
    late = _forged(_reading(time=ROTATED_AT + 1))
    assert judge(late, _keys("rotated", ROTATED_AT)).reason == "revoked_device"


def test_a_key_bound_under_another_device_id_does_not_vouch() -> None:
    keys = {DEVICE_ID: Key(bytes(OTHER.verify_key), "active", 0)}
    assert judge(_reading(), keys).reason == "kid_mismatch"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "bad_cbor"),
        (cbor2.dumps(["not", "a", "sign1"]), "wrong_tag"),
        (cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", b""])), "bad_structure"),
        (_reading()[:-3], "bad_cbor"),  # cut short
        (cose.assemble(_KID_HEADER, cbor2.dumps({1: 1}), bytes(64)), "bad_payload"),
        (bytes(cose.MAX_MESSAGE_SIZE + 1), "oversize"),
    ],
    ids=["empty", "untagged", "empty protected header", "truncated", "not a reading", "oversize"],
)
def test_a_malformed_message_keeps_the_reason_the_decoder_gives(raw: bytes, reason: str) -> None:
    assert judge(raw, _keys()) == Verdict(reason)
    assert judge_many([raw], _keys()) == [Verdict(reason)]


def test_many_at_once_judge_as_one_by_one() -> None:
    keys = {
        **_keys("rotated", ROTATED_AT),
        device_id(bytes(OTHER.verify_key)).hex(): Key(bytes(OTHER.verify_key), "active", 0),
    }
    batch = [
        _reading(seq=1, time=ROTATED_AT - 5),
        _reading(seq=2, time=ROTATED_AT + 5),
        _forged(_reading(seq=3, time=ROTATED_AT - 5)),
        _reading(seq=4, key=OTHER),
        _forged(_reading(seq=5, key=OTHER)),
        b"\xa0",
        _birth(time=ROTATED_AT - 9),
        _reading(seq=6, key=_key("stranger")),
    ]
    verdicts = judge_many(batch, keys)
    assert verdicts == [judge(raw, keys) for raw in batch]
    assert [v.reason for v in verdicts] == [
        "",
        "revoked_device",
        "bad_signature",
        "",
        "bad_signature",
        "wrong_tag",
        "",
        "unknown_device",
    ]
    assert verdicts[5] == Verdict("wrong_tag")  # nothing of an undecodable message is known
    assert judge_many([], keys) == []


def test_a_signature_checked_beforehand_is_taken_as_given() -> None:
    """The auditor checks every signature in one batch first, then asks the rule with the outcomes."""
    decoded = read(_reading())
    assert isinstance(decoded, message.Message)
    key = _keys()[DEVICE_ID]
    assert refusal(decoded, key) == ""
    assert refusal(decoded, key, True) == ""
    assert refusal(decoded, key, False) == "bad_signature"
    assert refusal(decoded, None, True) == "unknown_device"
