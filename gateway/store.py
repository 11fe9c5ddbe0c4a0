"""The durable store: SQLite in WAL mode holding the original signed bytes.

A message is acknowledged to its sender only after the transaction that
records it has committed (``synchronous=FULL``: the commit is on disk, so it
survives ``kill -9`` and power loss).  One thread owns the connection; the
service calls into it through a single-thread executor.

The history-dependent checks of docs/protocol.md run here, inside the
recording transaction, so that two copies of a message in the same commit
are judged against each other: duplicate, replay, broken_chain and
sequence_gap.

The common case is decided without reading the database: the store keeps,
per device, the highest stored (boot, seq) and its digest (loaded when the
store opens, updated with every insert, reloaded after deletions).  A
reading beyond that point of its device can only be a successor, a gap or a
new boot, which that one row settles; its insert waits in a list written
with one ``executemany`` per commit.  Anything at or before it (a
redelivered copy, a late reading filling a gap) takes the SQL path, after
the waiting rows are written so the query sees them.

Size bound and overflow policy (``store.max_bytes``): anchored readings are
deleted once older than ``store.keep_anchored_seconds``; when the database
grows past ``max_bytes``, anchored readings are deleted oldest first, then
quarantined messages oldest first; if it is still full, :meth:`Store.record`
raises :class:`StoreFull` without writing, the service stops acknowledging,
and unacknowledged messages stay queued in the broker (and in the sensors'
flash buffers) until anchoring frees space.  Nothing unanchored is dropped.

The quarantine has its own bound, so that bad input cannot crowd out
readings: a row keeps what gateway/quarantine.py says (a message over the
protocol's size limit only as size, SHA-256 and a prefix), and past
``quarantine_max_rows`` rows the oldest are evicted in the transaction
that adds new ones, counted as ``quarantine_evicted``.  Evicting
quarantine rows never touches a reading.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from chain_client import merkle
from chain_client.payload import Birth, Reading
from chain_client.reasons import Reason
from gateway.errors import StoreError
from gateway.quarantine import DEFAULT_MAX_ROWS, Original, keep, short_detail
from gateway.verifier import Accepted, Rejected, Verdict

log = logging.getLogger(__name__)

# 2: quarantine rows keep size and SHA-256, and only a prefix of a message over the size limit.
SCHEMA_VERSION = 2
EVICTION_LOG_SECONDS = 60.0  # at most one log line per minute while a flood fills the quarantine

_SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    id INTEGER PRIMARY KEY,
    device BLOB NOT NULL,
    boot INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    digest BLOB NOT NULL,
    prev BLOB NOT NULL,
    raw BLOB NOT NULL,
    source TEXT NOT NULL,
    received_at REAL NOT NULL,
    stored_at REAL NOT NULL,
    note TEXT,
    batch_id TEXT,
    UNIQUE (device, boot, seq)
);
CREATE INDEX IF NOT EXISTS readings_unbatched ON readings (id) WHERE batch_id IS NULL;
CREATE INDEX IF NOT EXISTS readings_batch ON readings (batch_id);
CREATE TABLE IF NOT EXISTS births (
    id INTEGER PRIMARY KEY,
    device BLOB NOT NULL,
    boot INTEGER NOT NULL,
    digest BLOB NOT NULL UNIQUE,
    raw BLOB NOT NULL,
    source TEXT NOT NULL,
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    id INTEGER PRIMARY KEY,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    device BLOB,
    raw BLOB NOT NULL,
    size INTEGER NOT NULL,
    sha256 BLOB NOT NULL,
    source TEXT NOT NULL,
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    root BLOB NOT NULL,
    size INTEGER NOT NULL,
    created_at REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'anchored', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    anchored_at REAL,
    receipt TEXT
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


class StoreFull(Exception):  # noqa: N818 - a condition the caller waits out, not a failure
    """The store is at ``max_bytes`` with nothing it may delete; retry after anchoring."""


class Outcome(StrEnum):
    """What happened to one message."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class Result:
    """The outcome of one message, with the reason if quarantined or noted."""

    outcome: Outcome
    reason: Reason | None = None


_STORED = Result(Outcome.STORED)


class Received(NamedTuple):
    """One message as it arrived, before verification (a tuple: built for every message)."""

    raw: bytes
    topic: str | None
    source: str
    received_at: float


class QuarantineRow(NamedTuple):
    """One quarantined message: ``raw`` is all of it, or its first bytes when ``size`` is over the limit."""

    reason: str
    detail: str
    raw: bytes
    size: int
    sha256: bytes


@dataclass(frozen=True)
class Batch:
    """A sealed batch of readings awaiting (or past) anchoring."""

    id: str
    number: int
    root: bytes
    size: int
    created_at: float
    state: str
    attempts: int


@dataclass(frozen=True)
class Stats:
    """Counts for ``status`` and the metrics endpoint."""

    readings: int
    unbatched: int
    pending_batches: int
    pending_readings: int
    anchored_batches: int
    failed_batches: int
    quarantined: int
    last_anchor_at: float | None
    last_anchor_batch: str | None
    used_bytes: int
    counters: dict[str, int]


def batch_id(gateway_id: str, root: bytes) -> str:
    """Deterministic batch id: bound to the gateway and the batch's Merkle root."""
    return hashlib.sha256(b"leasechain-batch\x00" + gateway_id.encode() + b"\x00" + root).hexdigest()[:32]


class Store:
    """The gateway's SQLite database.  Not thread-safe: use from one thread."""

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
            # The thread that opens the store is the only one SQLite lets use it (gateway/threads.py).
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit is fsynced before we acknowledge, so it survives power loss too.
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{path}: schema version {version}, this gateway knows {SCHEMA_VERSION}")
            self._db.executescript(_SCHEMA)
            if version == 1:
                self._migrate_quarantine()
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
            self._now = 0.0  # the time of the commit being recorded
            # device -> (boot, seq, digest) of its highest stored (boot, seq); see the module docstring.
            self._latest: dict[bytes, tuple[int, int, bytes]] = {}
            # What this transaction changed in _latest (None: the device had no entry), for a rollback.
            self._undo: dict[bytes, tuple[int, int, bytes] | None] = {}
            self._pending: list[tuple[object, ...]] = []  # reading rows not yet written
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

    def _migrate_quarantine(self) -> None:
        """Schema 1 to 2: give every quarantine row its size and digest, and cut oversized bytes."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("ALTER TABLE quarantine ADD COLUMN size INTEGER NOT NULL DEFAULT 0")
            db.execute("ALTER TABLE quarantine ADD COLUMN sha256 BLOB NOT NULL DEFAULT x''")
            for (ident,) in db.execute("SELECT id FROM quarantine").fetchall():
                # One row at a time: a schema-1 row may hold a message of many megabytes.
                raw = db.execute("SELECT raw FROM quarantine WHERE id = ?", (ident,)).fetchone()[0]
                kept, whole = keep(bytes(raw))
                db.execute(
                    "UPDATE quarantine SET raw = ?, size = ?, sha256 = ? WHERE id = ?",
                    (kept, whole.size, whole.sha256, ident),
                )
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- recording -----------------------------------------------------------------------------

    def _load_latest(self) -> None:
        """Read every device's highest stored (boot, seq) and its digest."""
        # With max(), SQLite takes the bare column (digest) from the row holding the maximum.
        rows = self._db.execute(
            "SELECT device, boot, MAX(seq), digest FROM readings "
            "WHERE (device, boot) IN (SELECT device, MAX(boot) FROM readings GROUP BY device) "
            "GROUP BY device"
        )
        self._latest = {bytes(device): (boot, seq, bytes(digest)) for device, boot, seq, digest in rows}

    def _flush(self) -> None:
        """Write the waiting reading rows (before any query of readings, and before commit)."""
        if self._pending:
            self._db.executemany(
                "INSERT INTO readings (device, boot, seq, digest, prev, raw, source, received_at, "
                "stored_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self._pending,
            )
            self._pending.clear()

    def used_bytes(self) -> int:
        """Bytes of the database in use (pages minus free pages)."""
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
        return int((pages - free) * self._page_size)

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

    def _quarantine(
        self,
        received: Received,
        reason: Reason,
        detail: str,
        device: bytes | None,
        original: Original | None = None,
    ) -> Result:
        kept, whole = keep(received.raw, original)
        self._db.execute(
            "INSERT INTO quarantine (reason, detail, device, raw, size, sha256, source, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                reason.value,
                short_detail(detail),
                device,
                kept,
                whole.size,
                whole.sha256,
                received.source,
                received.received_at,
            ),
        )
        self._quarantine_rows += 1
        return Result(Outcome.QUARANTINED, reason)

    def _evict_quarantine(self, count: int) -> int:
        """Delete the ``count`` oldest quarantine rows (never a reading); return how many went."""
        evicted = self._db.execute(
            "DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine ORDER BY id LIMIT ?)", (count,)
        ).rowcount
        self._quarantine_rows -= evicted
        self._evicted_unlogged += evicted
        if self._evicted_unlogged and self._now - self._eviction_logged_at >= EVICTION_LOG_SECONDS:
            log.warning(
                "quarantine is at store.quarantine_max_rows = %d: evicted the %d oldest rows",
                self.quarantine_max_rows,
                self._evicted_unlogged,
            )
            self._evicted_unlogged = 0
            self._eviction_logged_at = self._now
        return evicted

    def _record_one(self, received: Received, verdict: Verdict) -> Result:
        if isinstance(verdict, Rejected):
            return self._quarantine(
                received, verdict.reason, verdict.detail, verdict.device, verdict.original
            )
        assert isinstance(verdict, Accepted)
        message = verdict.message
        body = message.body
        digest = message.digest
        if isinstance(body, Birth):
            cursor = self._db.execute(
                "INSERT INTO births (device, boot, digest, raw, source, received_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING",
                (body.device_id, body.boot, digest, received.raw, received.source, received.received_at),
            )
            return Result(Outcome.STORED if cursor.rowcount else Outcome.DUPLICATE)
        assert isinstance(body, Reading)
        return self._record_reading(received, body, digest)

    def _insert_reading(self, received: Received, body: Reading, digest: bytes, note: str | None) -> Result:
        device, boot, seq = body.device_id, body.boot, body.seq
        self._pending.append(
            (
                device,
                boot,
                seq,
                digest,
                body.prev,
                received.raw,
                received.source,
                received.received_at,
                self._now,
                note,
            )
        )
        latest = self._latest.get(device)
        if latest is None or (boot, seq) > latest[:2]:
            if device not in self._undo:
                self._undo[device] = latest
            self._latest[device] = (boot, seq, digest)
        return _STORED if note is None else Result(Outcome.STORED, Reason(note))

    def _record_reading(self, received: Received, body: Reading, digest: bytes) -> Result:
        device, boot, seq = body.device_id, body.boot, body.seq
        latest = self._latest.get(device)
        if latest is None:
            # Nothing of this device is stored: no neighbours, and a gap cannot show.
            return self._insert_reading(received, body, digest, None)
        if (boot, seq) > latest[:2]:
            # Nothing at or after (boot, seq) is stored, so the latest row alone decides.
            if boot == latest[0]:
                if seq == latest[1] + 1:
                    if body.prev != latest[2]:
                        return self._quarantine(
                            received,
                            Reason.BROKEN_CHAIN,
                            f"device {device.hex()} boot {boot} seq {seq}: prev is not the digest of stored "
                            f"seq {seq - 1}",
                            device,
                        )
                    return self._insert_reading(received, body, digest, None)
                return self._insert_reading(received, body, digest, Reason.SEQUENCE_GAP.value)
            # A later boot: seq 0 continues from the latest reading of the earlier boots.
            chained = seq == 0 and body.prev == latest[2]
            return self._insert_reading(
                received, body, digest, None if chained else Reason.SEQUENCE_GAP.value
            )
        return self._record_reading_sql(received, body, digest)

    def _record_reading_sql(self, received: Received, body: Reading, digest: bytes) -> Result:
        """Judge a reading against its stored neighbours in the database."""
        device, boot, seq = body.device_id, body.boot, body.seq
        self._flush()
        rows = self._db.execute(
            "SELECT seq, digest, prev FROM readings WHERE device = ? AND boot = ? AND seq BETWEEN ? AND ?",
            (device, boot, seq - 1, seq + 1),
        ).fetchall()
        neighbours = {row[0]: (row[1], row[2]) for row in rows}
        who = f"device {device.hex()} boot {boot} seq {seq}"
        same = neighbours.get(seq)
        if same is not None:
            if same[0] == digest:
                return Result(Outcome.DUPLICATE, Reason.DUPLICATE)
            return self._quarantine(received, Reason.REPLAY, f"{who} is stored with other bytes", device)
        before = neighbours.get(seq - 1)
        if before is not None and body.prev != before[0]:
            return self._quarantine(
                received,
                Reason.BROKEN_CHAIN,
                f"{who}: prev is not the digest of stored seq {seq - 1}",
                device,
            )
        after = neighbours.get(seq + 1)
        if after is not None and after[1] != digest:
            return self._quarantine(
                received, Reason.BROKEN_CHAIN, f"{who}: stored seq {seq + 1} does not chain to it", device
            )
        return self._insert_reading(received, body, digest, self._gap_note(body, before is not None))

    def _gap_note(self, body: Reading, has_predecessor: bool) -> str | None:
        """``sequence_gap`` when numbers before this reading are missing from the store."""
        if body.seq > 0:
            if has_predecessor:
                return None
            # Numbers were skipped if anything older of this device is stored: earlier in this
            # boot, or any earlier boot (then seq 0 .. seq-1 of this boot are missing).  A device
            # this gateway has never heard from cannot show a gap.
            earlier = self._db.execute(
                "SELECT 1 FROM readings WHERE device = ? AND (boot < ? OR (boot = ? AND seq < ?)) LIMIT 1",
                (body.device_id, body.boot, body.boot, body.seq),
            ).fetchone()
            return Reason.SEQUENCE_GAP.value if earlier is not None else None
        # seq 0 continues the chain from the last reading of an earlier boot, but the gateway
        # cannot know which reading was the last, so a mismatch is only noted, never rejected.
        last = self._db.execute(
            "SELECT digest FROM readings WHERE device = ? AND boot < ? ORDER BY boot DESC, seq DESC LIMIT 1",
            (body.device_id, body.boot),
        ).fetchone()
        if last is None or body.prev == last[0]:
            return None
        return Reason.SEQUENCE_GAP.value

    # -- size bound ------------------------------------------------------------------------------

    def prune(self, now: float) -> int:
        """Delete anchored readings older than ``keep_anchored_seconds``; return how many."""
        cutoff = now - self.keep_anchored_seconds
        cursor = self._db.execute(
            "DELETE FROM readings WHERE batch_id IN "
            "(SELECT id FROM batches WHERE state = 'anchored' AND anchored_at < ?)",
            (cutoff,),
        )
        if cursor.rowcount:
            self._load_latest()
        return cursor.rowcount

    def _make_room(self) -> bool:
        """Apply the overflow policy; return whether the store is now below ``max_bytes``."""
        target = self.max_bytes * 9 // 10  # free a margin so this does not run on every commit
        try:
            self._delete_oldest(target)
        finally:
            self._load_latest()
        return self.used_bytes() <= self.max_bytes

    def _delete_oldest(self, target: int) -> None:
        while self.used_bytes() > target:
            oldest = self._db.execute(
                "SELECT id FROM batches WHERE state = 'anchored' AND "
                "EXISTS (SELECT 1 FROM readings WHERE batch_id = batches.id) ORDER BY number LIMIT 1"
            ).fetchone()
            if oldest is not None:
                self._db.execute("DELETE FROM readings WHERE batch_id = ?", (oldest[0],))
                continue
            if self._evict_quarantine_counted(1000) == 0:
                break

    def _evict_quarantine_counted(self, count: int) -> int:
        """Evict up to ``count`` oldest quarantine rows and count them, in one transaction."""
        rows = self._quarantine_rows
        self._now = time.time()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            evicted = self._evict_quarantine(count)
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES ('quarantine_evicted', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                (evicted,),
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._quarantine_rows = rows
            self._db.execute("ROLLBACK")
            raise
        return evicted

    # -- batches ---------------------------------------------------------------------------------

    def seal_batch(
        self, gateway_id: str, max_readings: int, max_age: float, now: float, *, force: bool = False
    ) -> Batch | None:
        """Seal the oldest unbatched readings into a batch when it is full or old enough.

        The batch id and root are stored before any submission, so every retry
        of the submission carries the same id.
        """
        db = self._db
        if not force:
            # Decided on the unbatched index before any reading's bytes are fetched.
            full = db.execute(
                "SELECT 1 FROM readings WHERE batch_id IS NULL ORDER BY id LIMIT 1 OFFSET ?",
                (max_readings - 1,),
            ).fetchone()
            if full is None:
                oldest = db.execute(
                    "SELECT received_at FROM readings WHERE batch_id IS NULL ORDER BY id LIMIT 1"
                ).fetchone()
                if oldest is None or oldest[0] > now - max_age:
                    return None
        rows = db.execute(
            "SELECT id, raw FROM readings WHERE batch_id IS NULL ORDER BY id LIMIT ?", (max_readings,)
        ).fetchall()
        if not rows:
            return None
        root = merkle.root([row[1] for row in rows])
        ident = batch_id(gateway_id, root)
        db.execute("BEGIN IMMEDIATE")
        try:
            number = db.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM batches").fetchone()[0]
            db.execute(
                "INSERT INTO batches (id, number, root, size, created_at, state) "
                "VALUES (?, ?, ?, ?, ?, 'pending')",
                (ident, number, root, len(rows), now),
            )
            db.execute(
                "UPDATE readings SET batch_id = ? WHERE batch_id IS NULL AND id <= ?", (ident, rows[-1][0])
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return Batch(ident, number, root, len(rows), now, "pending", 0)

    def _batch(self, row: tuple[object, ...]) -> Batch:
        ident, number, root, size, created_at, state, attempts = row
        assert isinstance(ident, str)
        assert isinstance(root, bytes)
        return Batch(
            ident,
            int(str(number)),
            root,
            int(str(size)),
            float(str(created_at)),
            str(state),
            int(str(attempts)),
        )

    def next_pending(self) -> Batch | None:
        """The oldest batch not yet anchored."""
        row = self._db.execute(
            "SELECT id, number, root, size, created_at, state, attempts FROM batches "
            "WHERE state = 'pending' ORDER BY number LIMIT 1"
        ).fetchone()
        return None if row is None else self._batch(row)

    def get_batch(self, ident: str) -> Batch | None:
        """One batch by id."""
        row = self._db.execute(
            "SELECT id, number, root, size, created_at, state, attempts FROM batches WHERE id = ?", (ident,)
        ).fetchone()
        return None if row is None else self._batch(row)

    def batch_leaves(self, ident: str) -> list[bytes]:
        """The original signed messages of a batch, in leaf order."""
        return [
            row[0]
            for row in self._db.execute("SELECT raw FROM readings WHERE batch_id = ? ORDER BY id", (ident,))
        ]

    def mark_attempt(self, ident: str, error: str, failed: bool = False) -> None:
        """Record a failed submission attempt; ``failed`` parks the batch for an operator."""
        self._db.execute(
            "UPDATE batches SET attempts = attempts + 1, last_error = ?, "
            "state = CASE WHEN ? THEN 'failed' ELSE state END WHERE id = ?",
            (error, failed, ident),
        )

    def mark_anchored(self, ident: str, receipt: str, now: float) -> None:
        """Record that the backend accepted the batch."""
        self._db.execute(
            "UPDATE batches SET state = 'anchored', attempts = attempts + 1, last_error = NULL, "
            "anchored_at = ?, receipt = ? WHERE id = ?",
            (now, receipt, ident),
        )

    def retry_failed(self) -> int:
        """Put parked batches back in the queue (after an operator fixed the cause)."""
        return self._db.execute("UPDATE batches SET state = 'pending' WHERE state = 'failed'").rowcount

    # -- reading back ----------------------------------------------------------------------------

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


def read_stats(db: sqlite3.Connection, page_size: int) -> Stats:
    """Counts from any connection to a store (the ``status`` command opens it read-only)."""

    def one(sql: str) -> int:
        return int(db.execute(sql).fetchone()[0] or 0)

    pending = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM batches WHERE state = 'pending'"
    ).fetchone()
    last = db.execute(
        "SELECT anchored_at, id FROM batches WHERE state = 'anchored' ORDER BY anchored_at DESC LIMIT 1"
    ).fetchone()
    pages = one("PRAGMA page_count") - one("PRAGMA freelist_count")
    return Stats(
        readings=one("SELECT COUNT(*) FROM readings"),
        unbatched=one("SELECT COUNT(*) FROM readings WHERE batch_id IS NULL"),
        pending_batches=int(pending[0]),
        pending_readings=int(pending[1]),
        anchored_batches=one("SELECT COUNT(*) FROM batches WHERE state = 'anchored'"),
        failed_batches=one("SELECT COUNT(*) FROM batches WHERE state = 'failed'"),
        quarantined=one("SELECT COUNT(*) FROM quarantine"),
        last_anchor_at=None if last is None else float(last[0]),
        last_anchor_batch=None if last is None else str(last[1]),
        used_bytes=pages * page_size,
        counters={str(name): int(value) for name, value in db.execute("SELECT name, value FROM counters")},
    )


def open_readonly(path: Path) -> sqlite3.Connection:
    """Open an existing store read-only (for ``status`` while the service runs)."""
    if not path.exists():
        raise StoreError(f"{path}: no store here (has the gateway run with this config?)")
    try:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the store read-only: {exc}") from None
