"""The durable store: SQLite in WAL mode holding the original signed bytes.

A message is acknowledged to its sender only after the transaction that
records it has committed (``synchronous=FULL``: the commit is on disk, so it
survives ``kill -9`` and power loss).  One thread owns the connection: the
service opens the store on its store thread (gateway/threads.py), and SQLite
refuses a call from any other.

The store is put together from one module per idea: the tables and their
migrations (``schema``), the history rules judged inside the recording
transaction (``history``), the size bound and overflow policy (``size``), and
batching (``batching``).
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from gateway.errors import StoreError
from gateway.quarantine import DEFAULT_MAX_ROWS
from gateway.store.batching import Batching
from gateway.store.records import Outcome, QuarantineRow, Received, Result, Stats, StoreFull
from gateway.store.schema import open_store, read_stats
from gateway.store.size import SizePolicy
from gateway.verifier import Verdict


class Store(SizePolicy, Batching):
    """The gateway's SQLite database.  Used from the one thread that opened it."""

    def __init__(
        self,
        path: Path,
        *,
        max_bytes: int = 1 << 30,
        keep_anchored_seconds: int = 7 * 86400,
        quarantine_max_rows: int = DEFAULT_MAX_ROWS,
    ) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.keep_anchored_seconds = keep_anchored_seconds
        self.quarantine_max_rows = quarantine_max_rows
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = open_store(path)
            self._page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
            self._now = 0.0
            self._latest = {}
            self._undo = {}
            self._pending = []
            self._quarantine_rows = int(self._db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0])
            self._evicted_unlogged = 0
            self._eviction_logged_at = 0.0
            self._load_latest()
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the store: {exc}") from None

    def close(self) -> None:
        """Checkpoint the WAL and close."""
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._db.close()

    def record(self, items: Sequence[tuple[Received, Verdict]]) -> list[Result]:
        """Record verified and rejected messages in one transaction; return one result per item.

        Raises :class:`StoreFull` (nothing written) if the store is full.
        """
        if self.used_bytes() > self.max_bytes and not self._make_room():
            raise StoreFull(f"store is over {self.max_bytes} bytes with nothing it may delete")
        counts: Counter[str] = Counter()
        results: list[Result] = []
        db = self._db
        self._now = time.time()
        db.execute("BEGIN IMMEDIATE")
        self._undo.clear()
        quarantine_rows = self._quarantine_rows
        try:
            for received, verdict in items:
                counts["received"] += 1
                result = self._record_one(received, verdict)
                results.append(result)
                if result.outcome is Outcome.STORED:
                    counts["stored"] += 1
                    if result.reason is not None:
                        counts[f"noted:{result.reason}"] += 1
                elif result.outcome is Outcome.DUPLICATE:
                    counts["duplicate"] += 1
                else:
                    counts[f"rejected:{result.reason}"] += 1
            self._flush()
            if self._quarantine_rows > self.quarantine_max_rows:
                counts["quarantine_evicted"] += self._evict_quarantine(
                    self._quarantine_rows - self.quarantine_max_rows
                )
            db.executemany(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                counts.items(),
            )
            db.execute("COMMIT")
        except BaseException:
            self._pending.clear()
            self._quarantine_rows = quarantine_rows
            for device, previous in self._undo.items():
                if previous is None:
                    self._latest.pop(device, None)
                else:
                    self._latest[device] = previous
            db.execute("ROLLBACK")
            raise
        return results

    def stats(self) -> Stats:
        """Counts for ``status`` and metrics."""
        return read_stats(self._db, self._page_size)

    def quarantined(self, limit: int = 100) -> list[QuarantineRow]:
        """The most recent quarantined messages, newest first."""
        return [
            QuarantineRow(r[0], r[1], r[2], r[3], r[4])
            for r in self._db.execute(
                "SELECT reason, detail, raw, size, sha256 FROM quarantine ORDER BY id DESC LIMIT ?", (limit,)
            )
        ]

    def readings(self) -> list[tuple[bytes, int, int, bytes]]:
        """Every stored reading as (device, boot, seq, raw), in arrival order."""
        return [
            (r[0], r[1], r[2], r[3])
            for r in self._db.execute("SELECT device, boot, seq, raw FROM readings ORDER BY id")
        ]
