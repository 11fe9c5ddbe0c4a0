"""Host-side checks of what a device emitted, with chain_client's verifier."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chain_client import message as host_message
from chain_client.payload import GENESIS_PREV, Birth, Reading

Sent = list[Any]  # [topic, hex, retain] as the device rig reports it


def readings(sent: Iterable[Sent], public_key: bytes) -> list[tuple[bytes, Reading]]:
    """Every data message, verified against ``public_key``, in the order sent."""
    out: list[tuple[bytes, Reading]] = []
    for topic, raw_hex, retain in sent:
        if not topic.endswith("/data"):
            continue
        raw = bytes.fromhex(raw_hex)
        assert not retain, topic
        msg = host_message.verify(raw, public_key)
        assert isinstance(msg.body, Reading)
        assert topic == f"leasechain/v1/dev/{msg.device_id.hex()}/data"
        out.append((raw, msg.body))
    return out


def births(sent: Iterable[Sent]) -> list[Birth]:
    """Every birth message, each verified against the key it carries."""
    out: list[Birth] = []
    for topic, raw_hex, retain in sent:
        if topic.endswith("/birth"):
            assert not retain
            body = host_message.verify_birth(bytes.fromhex(raw_hex)).body
            assert isinstance(body, Birth)
            out.append(body)
    return out


def assert_one_content_per_number(messages: Iterable[tuple[bytes, Reading]]) -> None:
    """No (boot, seq) was ever signed with two different contents."""
    seen: dict[tuple[int, int], bytes] = {}
    for raw, body in messages:
        key = (body.boot, body.seq)
        assert seen.setdefault(key, raw) == raw, f"boot {body.boot} seq {body.seq} signed twice"


def assert_chain(messages: Iterable[tuple[bytes, Reading]], first_prev: bytes = GENESIS_PREV) -> None:
    """Distinct readings, ordered by (boot, seq), link each to the digest of the one before."""
    unique = {(b.boot, b.seq): (raw, b) for raw, b in messages}
    prev = first_prev
    last: tuple[int, int] | None = None
    for key in sorted(unique):
        raw, body = unique[key]
        if last is not None:
            same_boot = key[0] == last[0]
            assert (key[1] == last[1] + 1) if same_boot else (key[0] > last[0] and key[1] == 0), (last, key)
        assert body.prev == prev, f"broken chain at boot {body.boot} seq {body.seq}"
        prev = host_message.digest(raw)
        last = key
