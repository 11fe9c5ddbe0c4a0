"""``leasechain-gateway status``: what the store says about this gateway, read-only.

It opens the SQLite file read-only, so it is safe while the service runs
(WAL readers never block the writer).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chain_client import human
from gateway.store import Stats, open_readonly, read_stats


def read(path: Path) -> Stats:
    """Counts from the store at ``path``."""
    db = open_readonly(path)
    try:
        page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
        return read_stats(db, page_size)
    finally:
        db.close()


@dataclass(frozen=True)
class Messages:
    """Every message the store holds, by digest: when it was stored, or why it was quarantined."""

    stored: dict[bytes, float]  # SHA-256 of the signed message -> commit time (Unix seconds)
    quarantined: dict[bytes, str]  # SHA-256 of the whole message -> its first refusal reason


def messages(path: Path) -> Messages:
    """The messages in the store at ``path`` (read-only, safe beside the running service)."""
    db = open_readonly(path)
    try:
        stored = {bytes(d): float(t) for d, t in db.execute("SELECT digest, stored_at FROM readings")}
        quarantined: dict[bytes, str] = {}
        # The row's digest is of the whole message, also when only its first bytes are kept.
        for reason, sha256 in db.execute("SELECT reason, sha256 FROM quarantine ORDER BY id"):
            quarantined.setdefault(bytes(sha256), str(reason))
    finally:
        db.close()
    return Messages(stored, quarantined)


def _by_prefix(counters: dict[str, int], prefix: str) -> dict[str, int]:
    return {name[len(prefix) :]: value for name, value in sorted(counters.items()) if name.startswith(prefix)}


def as_dict(stats: Stats) -> dict[str, Any]:
    """JSON-ready form of the status."""
    data = asdict(stats)
    counters = data.pop("counters")
    data["queue_depth"] = stats.unbatched + stats.pending_readings
    data["received"] = counters.get("received", 0)
    data["stored"] = counters.get("stored", 0)
    data["duplicates"] = counters.get("duplicate", 0)
    data["rejected"] = _by_prefix(counters, "rejected:")
    data["noted"] = _by_prefix(counters, "noted:")
    data["quarantine_evicted"] = counters.get("quarantine_evicted", 0)
    return data


def _ago(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def render(path: Path, stats: Stats, now: float | None = None) -> str:
    """Human-readable status."""
    now = time.time() if now is None else now
    data = as_dict(stats)
    if stats.last_anchor_at is None:
        last = "never"
    else:
        stamp = human.when(stats.last_anchor_at)
        last = f"{stamp} ({_ago(now - stats.last_anchor_at)}), batch {stats.last_anchor_batch}"
    rejected = ", ".join(f"{k} {v}" for k, v in data["rejected"].items()) or "none"
    noted = ", ".join(f"{k} {v}" for k, v in data["noted"].items()) or "none"
    rows = [
        ("store", f"{path} ({stats.used_bytes / 1e6:.1f} MB used)"),
        (
            "queue depth",
            f"{data['queue_depth']} readings not anchored ({stats.unbatched} unbatched, "
            f"{stats.pending_readings} in {stats.pending_batches} pending batches)",
        ),
        ("last anchor", last),
        ("anchored", f"{stats.anchored_batches} batches"),
        ("failed batches", str(stats.failed_batches)),
        ("received", str(data["received"])),
        ("stored", str(data["stored"])),
        ("duplicates", str(data["duplicates"])),
        ("rejected", rejected),
        ("quarantine rows", f"{stats.quarantined} ({data['quarantine_evicted']} oldest evicted)"),
        ("noted", noted),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)
