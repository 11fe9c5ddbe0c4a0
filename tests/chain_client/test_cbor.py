"""Strict canonical CBOR decoding."""

from __future__ import annotations

import pytest

from chain_client import ProtocolError, Reason, cbor


@pytest.mark.parametrize(
    ("hex_data", "reason"),
    [
        ("", Reason.BAD_CBOR),
        ("1801", Reason.NON_CANONICAL),  # 1 in a two-byte head
        ("a202010101", Reason.NON_CANONICAL),  # keys 2, 1 out of order
        ("a201010102", Reason.BAD_CBOR),  # duplicate key 1
        ("9f01ff", Reason.BAD_CBOR),  # indefinite array
        ("0102", Reason.BAD_CBOR),  # trailing item
        ("f93c00", Reason.BAD_CBOR),  # half float
        ("c249010000000000000000", Reason.BAD_CBOR),  # bignum 2**64
        ("c11a5f000000", Reason.BAD_CBOR),  # epoch date tag
        ("d81c81d81d00", Reason.BAD_CBOR),  # shared-reference cycle
        ("5a7fffffff00", Reason.BAD_CBOR),  # byte string claiming 2 GB
        ("81" * 40 + "00", Reason.BAD_CBOR),  # nested too deep
    ],
)
def test_rejects_with_reason(hex_data: str, reason: Reason) -> None:
    with pytest.raises(ProtocolError) as info:
        cbor.loads(bytes.fromhex(hex_data), what="item")
    assert info.value.reason is reason
    assert "item" in str(info.value)


def test_accepts_canonical_items() -> None:
    assert cbor.loads(bytes.fromhex("a3010102820304181801"), what="x") == {1: 1, 2: [3, 4], 24: 1}
    assert cbor.dumps({24: 1, 2: [3, 4], 1: 1}).hex() == "a3010102820304181801"
