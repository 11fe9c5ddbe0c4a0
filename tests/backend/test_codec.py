"""Signed transactions, log entries and tree heads of chain_client.ledger."""

from __future__ import annotations

import cbor2
import pytest

from chain_client import cbor
from chain_client.ledger import (
    TransactionError,
    TreeHeadError,
    TxReason,
    decode,
    decode_entry,
    encode_entry,
    sign,
    sign_tree_head,
    tree_head_from_json,
    verify_tree_head,
)
from chain_client.ledger.schema import TxType, check_args
from chain_client.ledger.transaction import MAX_TX_SIZE, SIGNING_CONTEXT
from tests.backend.world import seeded_key

KEY = seeded_key("alice")
LEDGER = bytes(seeded_key("ledger").verify_key)


def test_sign_then_decode_round_trips_and_is_deterministic() -> None:
    raw = sign("withdraw", "w-1", {"amount": 5, "reference": "r"}, KEY, ledger=LEDGER)
    assert raw == sign("withdraw", "w-1", {"reference": "r", "amount": 5}, KEY, ledger=LEDGER)
    tx = decode(raw)
    assert (tx.type, tx.id, dict(tx.args), tx.raw) == (
        "withdraw",
        "w-1",
        {"amount": 5, "reference": "r"},
        raw,
    )
    assert tx.signer == bytes(KEY.verify_key).hex()


def _envelope(body: object, key: bytes | None = None, sig: bytes | None = None) -> bytes:
    body_bytes = cbor.dumps(body)
    signature = sig if sig is not None else KEY.sign(SIGNING_CONTEXT + body_bytes).signature
    return cbor.dumps([body_bytes, key if key is not None else bytes(KEY.verify_key), signature])


def _body(**changes: object) -> dict[str, object]:
    """A version 2 body with ``changes``; a change to ``None`` drops the key."""
    body: dict[str, object] = {"v": 2, "ledger": LEDGER, "type": "withdraw", "id": "a", "args": {}}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", TxReason.BAD_ENCODING),
        (b"\xff\x00", TxReason.BAD_ENCODING),
        (cbor2.dumps([b"x", b"y"]), TxReason.BAD_ENCODING),
        (_envelope(_body(), key=b"short"), TxReason.BAD_ENCODING),
        (_envelope({"v": 1, "type": "withdraw", "id": "a", "args": {}}), TxReason.UNSUPPORTED_VERSION),
        (_envelope(_body(v=3)), TxReason.UNSUPPORTED_VERSION),
        (_envelope(_body(id="a b")), TxReason.BAD_ID),
        (_envelope(_body(x=1)), TxReason.BAD_ENCODING),
        (_envelope(_body(ledger=None)), TxReason.BAD_ENCODING),
        (_envelope(_body(ledger=LEDGER[:31])), TxReason.BAD_ENCODING),
        (_envelope(_body(ledger=LEDGER.hex())), TxReason.BAD_ENCODING),
        (_envelope(_body(args=[])), TxReason.BAD_ENCODING),
        (_envelope(_body(type=7)), TxReason.BAD_ENCODING),
        (_envelope(_body(), sig=bytes(64)), TxReason.BAD_SIGNATURE),
        (b"\x00" * (MAX_TX_SIZE + 1), TxReason.TOO_LARGE),
    ],
)
def test_malformed_transactions_are_refused_with_their_reason(raw: bytes, reason: TxReason) -> None:
    with pytest.raises(TransactionError) as info:
        decode(raw)
    assert info.value.reason is reason


def test_non_canonical_encoding_is_refused() -> None:
    raw = sign("withdraw", "w-1", {"amount": 5, "reference": "r"}, KEY, ledger=LEDGER)
    body, key, signature = cbor2.loads(raw)
    # the same array with a non-shortest length head for the signature
    padded = b"\x83" + cbor2.dumps(body) + cbor2.dumps(key) + b"\x59\x00\x40" + signature
    with pytest.raises(TransactionError) as info:
        decode(padded)
    assert info.value.reason is TxReason.BAD_ENCODING


def test_argument_schema_names_the_bad_value() -> None:
    with pytest.raises(TransactionError, match="'amount' is -1") as info:
        check_args(TxType.WITHDRAW, {"amount": -1, "reference": "r"})
    assert info.value.reason is TxReason.BAD_ARGS
    with pytest.raises(TransactionError, match="lacks arguments"):
        check_args(TxType.WITHDRAW, {"amount": 1})
    with pytest.raises(TransactionError, match="unknown arguments"):
        check_args(TxType.WITHDRAW, {"amount": 1, "reference": "r", "extra": 1})
    with pytest.raises(TransactionError, match="distinct fee accounts"):
        check_args(
            TxType.OFFER_LEASE,
            {
                "token": "t",
                "lessee": "a" * 64,
                "start": 0,
                "end": 10,
                "period": 5,
                "fixed_rent": 1,
                "usage_rate": 1,
                "deposit": 0,
                "grace": 0,
                "fees": [{"account": "b" * 64, "bps": 1}, {"account": "b" * 64, "bps": 2}],
                "expires": 5,
            },
        )


def test_entries_round_trip_and_reject_garbage() -> None:
    raw = encode_entry(123, b"tx")
    entry = decode_entry(raw)
    assert (entry.time, entry.tx, entry.encode()) == (123, b"tx", raw)
    with pytest.raises(TransactionError):
        decode_entry(cbor.dumps([2, 123, b"tx"]))


def test_tree_heads_verify_and_forgeries_do_not() -> None:
    head = sign_tree_head(5, bytes(32), 99, KEY)
    verify_tree_head(head, bytes(KEY.verify_key))
    again = tree_head_from_json(head.to_json())
    assert again == head
    forged = tree_head_from_json({**head.to_json(), "tree_size": 6})
    with pytest.raises(TreeHeadError, match="does not verify"):
        verify_tree_head(forged, bytes(KEY.verify_key))
    with pytest.raises(TreeHeadError, match="names log key"):
        verify_tree_head(head, bytes(seeded_key("mallory").verify_key))
    with pytest.raises(TreeHeadError, match="root_hash"):
        tree_head_from_json({**head.to_json(), "root_hash": "zz"})
