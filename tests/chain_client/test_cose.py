"""COSE_Sign1 envelope parsing: the fast path agrees with the general decoder."""

from __future__ import annotations

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from chain_client import ProtocolError, Reading, cbor, cose, sign
from chain_client.device import device_id

KEY = SigningKey(bytes(range(32)))
DEV = device_id(bytes(KEY.verify_key))


def _general(data: bytes) -> tuple[bytes, bytes, bytes] | None:
    """What the general decoder makes of ``data``: (protected, payload, signature) or None."""
    try:
        item = cbor.loads(data, what="message", allowed_tags=frozenset({18}))
    except ProtocolError:
        return None
    protected, unprotected, payload, signature = item.value
    if unprotected or cbor.loads(protected, what="protected") != {1: -8, 4: DEV}:
        return None
    return protected, payload, signature


@pytest.mark.parametrize("readings", [0, 1, 8, 32])
def test_fast_path_takes_conforming_messages(readings: int) -> None:
    message = sign(Reading(DEV, 1, 2, 3, True, {k: 1000 * k for k in range(1, readings + 1)}), KEY)
    fast = cose._parse_fast(message)
    assert fast is not None
    assert (fast.protected, fast.payload, fast.signature) == _general(message)


@given(st.binary(min_size=0, max_size=400), st.integers(0, 300))
@settings(max_examples=500)
def test_fast_path_never_accepts_what_the_general_decoder_refuses(payload: bytes, cut: int) -> None:
    protected = cose.protected_header(DEV)
    message = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, bytes(64)]))
    for candidate in (
        message,
        message[:cut],
        message + b"\x00",
        message.replace(b"\x58\x40", b"\x59\x00\x40"),
    ):
        fast = cose._parse_fast(candidate)
        if fast is not None:
            assert (fast.protected, fast.payload, fast.signature) == _general(candidate)


def test_non_shortest_payload_head_goes_to_the_general_decoder() -> None:
    protected = cose.protected_header(DEV)
    short = cose.assemble(protected, b"\xa0", bytes(64))
    longer = short.replace(b"\xa0\x41\xa0", b"\xa0\x58\x01\xa0", 1)
    assert cose._parse_fast(longer) is None
    with pytest.raises(ProtocolError) as info:
        cose.parse(longer)
    assert info.value.reason.value == "non_canonical"


@given(st.binary(max_size=70000), st.binary(max_size=300))
@settings(max_examples=200)
def test_sig_structure_is_the_canonical_array(payload: bytes, protected: bytes) -> None:
    assert cose.sig_structure(protected, payload) == cbor.dumps(["Signature1", protected, b"", payload])
