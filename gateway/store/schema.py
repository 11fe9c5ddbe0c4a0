"""The store's tables, its schema version and migrations, and reading it from another process."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gateway.errors import StoreError
from gateway.quarantine import keep
from gateway.store.records import Stats

# 2: quarantine rows keep size and SHA-256, and only a prefix of a message over the size limit.
SCHEMA_VERSION = 2

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


def open_store(path: Path) -> sqlite3.Connection:
    """Open (or create) the store at ``path`` for writing, its schema brought up to this version."""
    # The thread that opens the store is the only one SQLite lets use it (gateway/threads.py).
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is fsynced before we acknowledge, so it survives power loss too.
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        db.close()
        raise StoreError(f"{path}: schema version {version}, this gateway knows {SCHEMA_VERSION}")
    db.executescript(_SCHEMA)
    if version == 1:
        migrate_quarantine(db)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return db


def migrate_quarantine(db: sqlite3.Connection) -> None:
    """Schema 1 to 2: give every quarantine row its size and digest, and cut oversized bytes."""
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
