"""Signing, decoding and verifying messages, including fuzzed hostile input."""

from __future__ import annotations

import contextlib
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from chain_client import (
    ProtocolError,
    Reading,
    Reason,
    cbor,
    cose,
    decode,
    digest,
    sign,
    verify,
    verify_birth,
)
from chain_client.device import device_id
from chain_client.message import _payload_fast
from chain_client.payload import Birth, from_map

KEY = SigningKey(bytes(range(32)))
PUBLIC = bytes(KEY.verify_key)
DEV = device_id(PUBLIC)


def _reading(**changes: object) -> Reading:
    fields: dict[str, object] = {
        "device_id": DEV,
        "boot": 3,
        "seq": 17,
        "time": 1_764_000_000,
        "time_synced": True,
        "readings": {1: 2150, 4: 3100, 6: 1},
        "run_seconds": 7200,
        "cycles": 41,
        "prev": bytes(range(32)),
        "dropped": 2,
    }
    fields.update(changes)
    return Reading(**fields)  # type: ignore[arg-type]  # test helper over known fields


GOOD = sign(_reading(), KEY)


def test_round_trip_keeps_every_field() -> None:
    msg = verify(GOOD, PUBLIC)
    assert msg.body == _reading()
    assert msg.raw == GOOD
    assert msg.digest == digest(GOOD)
    assert isinstance(msg.body, Reading)
    assert msg.body.physical() == {"temperature": 21.5, "current": 3.1, "running": 1.0}


def test_signing_is_deterministic_and_content_bound() -> None:
    assert sign(_reading(), KEY) == GOOD
    assert sign(_reading(seq=18), KEY) != GOOD


def test_birth_is_self_certifying() -> None:
    birth = Birth(DEV, boot=1, time=0, time_synced=False, firmware="1.2.3", public_key=PUBLIC)
    assert verify_birth(sign(birth, KEY)).body == birth
    with pytest.raises(ProtocolError) as info:
        verify_birth(GOOD)
    assert info.value.reason is Reason.BAD_PAYLOAD


def test_cannot_sign_for_another_device() -> None:
    with pytest.raises(ProtocolError) as info:
        sign(_reading(device_id=bytes(16)), KEY)
    assert info.value.reason is Reason.KID_MISMATCH


def test_invalid_fields_are_refused_when_signing() -> None:
    with pytest.raises(ProtocolError, match="33 entries") as info:
        sign(_reading(readings={k: -(2**63) for k in range(1, 34)}), KEY)
    assert info.value.reason is Reason.BAD_PAYLOAD
    with pytest.raises(ProtocolError, match="seq"):
        sign(_reading(seq=-1), KEY)
    largest = sign(_reading(readings={k: -(2**63) for k in range(1000, 1032)}, cycles=2**64 - 1), KEY)
    assert len(largest) <= cose.MAX_MESSAGE_SIZE


def test_wrong_key_is_a_mismatch_not_a_crash() -> None:
    other = bytes(SigningKey(bytes(32)).verify_key)
    with pytest.raises(ProtocolError) as info:
        verify(GOOD, other)
    assert info.value.reason is Reason.KID_MISMATCH


def test_non_bytes_input_is_rejected() -> None:
    with pytest.raises(ProtocolError) as info:
        decode("d284")  # type: ignore[arg-type]  # deliberately wrong type
    assert info.value.reason is Reason.BAD_CBOR


@given(st.binary(max_size=1100))
@settings(max_examples=800)
def test_random_bytes_only_raise_protocol_error(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        verify(data, PUBLIC)


@given(st.data())
@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_messages_never_verify(data: st.DataObject) -> None:
    raw = bytearray(GOOD)
    for _ in range(data.draw(st.integers(1, 4))):
        if not raw:
            break
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        pos = data.draw(st.integers(0, len(raw) - 1))
        if op == "flip":
            raw[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "insert":
            raw.insert(pos, data.draw(st.integers(0, 255)))
        elif op == "delete" and len(raw) > 1:
            del raw[pos]
        else:
            del raw[max(pos, 1) :]
    mutated = bytes(raw)
    try:
        msg = verify(mutated, PUBLIC)
    except ProtocolError:
        return
    assert mutated == GOOD
    assert msg.body == _reading()


CBOR_ITEMS = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**65)
    | st.floats(allow_nan=True)
    | st.binary(max_size=40)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.integers(-5, 40) | st.text(max_size=3), children, max_size=6)
        | st.builds(cbor2.CBORTag, st.sampled_from([0, 1, 2, 18, 24, 28, 29, 37, 98, 258, 55799]), children)
    ),
    max_leaves=20,
)


@given(CBOR_ITEMS, CBOR_ITEMS, CBOR_ITEMS, CBOR_ITEMS)
@settings(max_examples=600)
def test_structured_garbage_in_a_cose_shell(p: object, u: object, pl: object, s: object) -> None:
    for body in ([p, u, pl, s], [cose.protected_header(DEV), {}, _encode(pl), s]):
        try:
            data = cbor2.dumps(cbor2.CBORTag(18, body))
        except Exception:  # noqa: BLE001 - some generated items are not encodable; nothing to test
            continue
        try:
            verify(data, PUBLIC)
        except ProtocolError:
            continue
        raise AssertionError(f"garbage verified: {data.hex()}")


def _encode(item: object) -> object:
    try:
        return cbor.dumps(item)
    except Exception:  # noqa: BLE001 - not encodable, keep the raw item
        return item


@given(
    st.dictionaries(
        st.integers(0, 15), st.integers(-(2**63), 2**64 - 1) | st.binary(max_size=33), max_size=12
    )
)
@settings(max_examples=400)
def test_signed_but_malformed_payloads_name_a_payload_reason(payload_map: dict[int, object]) -> None:
    protected = cose.protected_header(DEV)
    payload = cbor.dumps(payload_map)
    signature = KEY.sign(cose.sig_structure(protected, payload)).signature
    data = cose.assemble(protected, payload, signature)
    with pytest.raises(ProtocolError) as info:
        verify(data, PUBLIC)
    assert info.value.reason in {Reason.BAD_PAYLOAD, Reason.UNSUPPORTED_VERSION, Reason.KID_MISMATCH}


def _general_payload(data: bytes) -> Reading | Birth | None:
    try:
        return from_map(cbor.loads(data, what="payload"))
    except ProtocolError:
        return None


READING_MAP: dict[Any, Any] = _reading().to_map()


@given(
    st.dictionaries(
        st.sampled_from(sorted(READING_MAP)) | st.integers(-2, 14) | st.booleans() | st.floats(0, 2),
        CBOR_ITEMS,
        max_size=3,
    ),
    st.booleans(),
)
@settings(max_examples=600)
def test_payload_fast_path_accepts_only_what_the_general_path_accepts(
    changes: dict[object, object], keep: bool
) -> None:
    fields: dict[object, object] = dict(READING_MAP) if keep else {}
    fields.update(changes)
    for data in (cbor2.dumps(fields), cbor2.dumps(dict(reversed(fields.items())))):
        fast = _payload_fast(data)
        if fast is not None:
            assert fast == _general_payload(data), data.hex()


@given(st.data())
@settings(max_examples=600)
def test_payload_fast_path_on_mutated_bytes(data: st.DataObject) -> None:
    raw = bytearray(cbor.dumps(READING_MAP))
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["flip", "insert", "delete"]))
        if op == "flip":
            raw[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "insert":
            raw.insert(pos, data.draw(st.integers(0, 255)))
        elif len(raw) > 1:
            del raw[pos]
    mutated = bytes(raw)
    fast = _payload_fast(mutated)
    if fast is not None:
        assert fast == _general_payload(mutated), mutated.hex()


@pytest.mark.parametrize(
    "key",
    [True, 1.0, 0.0],
    ids=["true-for-1", "float-for-1", "float-for-0"],
)
def test_keys_equal_to_integers_are_still_refused(key: object) -> None:
    number = int(key)  # type: ignore[call-overload]  # bool and float both convert
    fields = {(key if k == number else k): v for k, v in READING_MAP.items()}
    candidates = [fields]
    if number in READING_MAP[8]:
        usage = {(key if k == number else k): v for k, v in READING_MAP[8].items()}
        candidates.append({**READING_MAP, 8: usage})
    for candidate in candidates:
        data = cbor2.dumps(candidate)
        assert _payload_fast(data) is None
        assert _general_payload(data) is None


def test_fast_and_general_paths_agree_on_good_payloads() -> None:
    birth = Birth(DEV, boot=1, time=0, time_synced=False, firmware="1.2.3", public_key=PUBLIC)
    for body in (_reading(), _reading(readings={}), _reading(readings={3: 1, 300: -5, 70: 2}), birth):
        data = cbor.dumps(body.to_map())
        assert _payload_fast(data) == body == _general_payload(data)
