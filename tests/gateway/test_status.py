"""``leasechain-gateway status`` for people: the last anchor in ISO 8601 UTC and how long ago."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from chain_client.message import decode
from gateway import status
from gateway.store import Received, Stats, Store
from gateway.verifier import Accepted
from tests.gateway.helpers import Sensor


def test_the_last_anchor_is_an_iso_8601_time_with_its_age() -> None:
    stats = Stats(
        readings=10,
        unbatched=2,
        pending_batches=1,
        pending_readings=3,
        anchored_batches=4,
        failed_batches=0,
        quarantined=1,
        last_anchor_at=1_714_564_800.4,
        last_anchor_batch="b1",
        used_bytes=2_000_000,
        counters={"received": 12, "stored": 10, "rejected:bad_signature": 1},
    )
    text = status.render(Path("/var/lib/gw/store.sqlite3"), stats, now=1_714_564_800 + 300)
    assert "last anchor      2024-05-01T12:00:00Z (5 min ago), batch b1" in text
    assert "rejected         bad_signature 1" in text
    assert status.as_dict(stats)["last_anchor_at"] == 1_714_564_800.4  # --json keeps Unix seconds


def test_messages_name_each_stored_and_quarantined_message_by_digest(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = Store(path)
    sensor = Sensor.make(7)
    first = sensor.reading()
    forged_twin = Sensor(sensor.key).reading(readings={1: 99})  # same (device, boot, seq): a replay
    before = time.time()
    items = [(Received(raw, None, "test", before), Accepted(decode(raw))) for raw in [first, forged_twin]]
    store.record(items)
    store.close()
    held = status.messages(path)
    assert list(held.stored) == [hashlib.sha256(first).digest()]
    assert before <= held.stored[hashlib.sha256(first).digest()] <= time.time()
    assert held.quarantined == {hashlib.sha256(forged_twin).digest(): "replay"}
