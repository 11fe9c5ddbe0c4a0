"""The stored form of a reading row (schema 4): every verdict, device and token comes back as written;
a token key is kept only once the transaction that gave it committed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from backend.errors import BackendError
from backend.reading_rows import decode, encode, stored_verdict, verdict
from backend.storage import Pending, Storage
from backend.token_keys import UNBOUND

DEVICE = "00112233445566778899aabbccddeeff"


def _row(position: int, token: str, status: str, reason: str = "", device: str = DEVICE) -> dict[str, Any]:
    return {
        "batch": 7,
        "position": position,
        "device": device,
        "token": token,
        "stamp": 1_780_000_000 + position,
        "status": status,
        "reason": reason,
        "increment": 10 if status == "verified" else 0,
        "message": bytes([position]) * 20,
    }


def _log(index: int) -> dict[str, Any]:
    return {
        "idx": index,
        "leaf_hash": bytes(32),
        "entry": b"e",
        "signer": "s",
        "tx_id": f"t{index}",
        "tx_type": "anchor_batch",
        "time": 1,
        "result": "{}",
    }


@pytest.mark.parametrize(
    ("status", "reason", "stored"),
    [("verified", "", None), ("duplicate", "", ""), ("rejected", "bad_signature", "bad_signature")],
)
def test_each_verdict_has_one_stored_form_and_comes_back(
    status: str, reason: str, stored: str | None
) -> None:
    assert stored_verdict(status, reason) == stored
    assert verdict(stored) == (status, reason)


@pytest.mark.parametrize(
    ("status", "reason"), [("verified", "x"), ("duplicate", "x"), ("rejected", ""), ("pending", "")]
)
def test_a_verdict_no_rule_gives_is_refused_by_name(status: str, reason: str) -> None:
    with pytest.raises(BackendError, match=f"judged {status!r} with reason {reason!r}"):
        stored_verdict(status, reason)


@pytest.mark.parametrize("device", ["", DEVICE, "ab" * 33])
def test_a_row_comes_back_as_written(device: str) -> None:
    row = _row(3, "tok-1", "rejected", "unknown_device", device)
    stored = dict(
        zip(
            ["batch", "position", "token_key", "stamp", "increment", "device", "reason", "message"],
            encode(row, {"tok-1": 5}),
            strict=True,
        )
    )
    assert stored["device"] == bytes.fromhex(device)
    assert decode(stored, {5: "tok-1"}.__getitem__) == row


@pytest.mark.parametrize("device", ["001", "00112233445566778899AABBCCDDEEFF", "xyz"])
def test_a_device_that_is_not_lower_case_hex_is_refused(device: str) -> None:
    with pytest.raises(BackendError, match=f"device {device!r}"):
        encode(_row(0, "", "verified", device=device), {"": UNBOUND})


def test_token_keys_are_shared_and_kept_only_once_committed(storage_spec: tuple[str, str | None]) -> None:
    url, schema = storage_spec
    writer = Storage(url, schema=schema)
    writer.create()
    rows = [
        _row(0, "tok-a", "verified"),
        _row(1, "", "rejected", "unknown_device"),
        _row(2, "tok-b", "duplicate"),
    ]
    writer.write(Pending(log=[_log(0)], batches=[], readings=rows))
    # The same log index again: the transaction fails after the new token got its key.
    with pytest.raises(IntegrityError):
        writer.write(
            Pending(log=[_log(0)], batches=[], readings=[{**_row(3, "tok-c", "verified"), "batch": 8}])
        )
    assert writer.tokens.key_of_kept("tok-c") is None
    later = [{**_row(0, "tok-c", "verified"), "batch": 9}, {**_row(1, "tok-a", "verified"), "batch": 9}]
    writer.write(Pending(log=[_log(1)], batches=[], readings=later))
    reader = Storage(url, schema=schema)  # another process: knows no key yet
    try:
        for one in (writer, reader):
            assert [r["token"] for r in one.readings(limit=10)] == ["tok-a", "tok-c", "", "tok-a", "tok-b"]
            assert [r["status"] for r in one.readings(token="tok-c")] == ["verified"]
            assert one.readings(token="tok-d") == []
            assert one.increments("tok-a", 0, 2**40, 10) == [
                (7, 0, 1_780_000_000, 10),
                (9, 1, 1_780_000_001, 10),
            ]
        keys = {t: reader.tokens.key_of_kept(t) for t in ("tok-a", "tok-b", "tok-c")}
        assert keys == {"tok-a": 1, "tok-b": 2, "tok-c": 3}  # the failed write's key was given again
    finally:
        reader.close()
        writer.close()


def test_any_message_bytes_and_reason_text_are_stored_as_written(
    storage_spec: tuple[str, str | None],
) -> None:
    # A gateway chooses a message's bytes: every byte value, and the ones a bulk format escapes
    # (tab, newline, backslash, NUL), must come back as sent, on each engine's write path.
    url, schema = storage_spec
    storage = Storage(url, schema=schema)
    storage.create()
    messages = [bytes(range(256)), b"\\N", b"\t\n\r\\\x00", b"", b"\\." * 40]
    reasons = ["bad_signature", "a\tb\nc\\d", "\\N", "é ünïcødé"]
    rows = [
        {**_row(i, "tok-\t\\", "rejected", reasons[i % len(reasons)]), "message": m}
        for i, m in enumerate(messages)
    ]
    try:
        storage.write(Pending(log=[_log(7)], batches=[], readings=rows))
        assert storage.batch_messages(7) == messages
        stored = storage.readings(limit=10)
        assert [(r["message"], r["reason"], r["token"]) for r in stored] == [
            (m, reasons[i % len(reasons)], "tok-\t\\") for i, m in enumerate(messages)
        ]
    finally:
        storage.close()
