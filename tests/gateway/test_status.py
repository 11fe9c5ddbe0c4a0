"""``leasechain-gateway status`` for people: the last anchor in ISO 8601 UTC and how long ago."""

from __future__ import annotations

from pathlib import Path

from gateway import status
from gateway.store import Stats


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
