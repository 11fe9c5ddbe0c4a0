"""The writer lock: one serving backend per database.

The state lives in the memory of the one process that appends, so a second
writer on the same log would fork it.  Both locks below belong to the
process, not to a file on disk that could go stale: the kernel drops a
``flock`` and PostgreSQL drops a session's advisory lock when the process
(or its connection) dies, so a crashed backend never blocks its restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from backend.errors import BackendError, DatabaseInUseError
from backend.storage import Storage

LOCK_SUFFIX = ".lock"
_ADVISORY_NAMESPACE = b"leasechain-backend writer\0"


class WriterLock(Protocol):
    """A held writer lock."""

    def release(self) -> None:
        """Let another backend take the database."""


class FileLock:
    """An exclusive ``flock`` on ``DATABASE.lock`` beside an SQLite database."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + LOCK_SUFFIX)
        try:
            self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise BackendError(f"cannot open the writer lock {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(self._fd, 32).decode(errors="replace").strip() or "unknown"
            self.release()
            raise DatabaseInUseError(
                f"database {database} is in use by another leasechain-backend (pid {holder}, "
                f"holding {self.path}); stop it first, or serve another --data-dir"
            ) from None
        # The pid is only for the message above: the lock is the flock, not the file's content.
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"{os.getpid()}\n".encode())

    def release(self) -> None:
        """Drop the lock; the file stays, as removing it could race a starting backend."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def advisory_key(schema: str | None) -> int:
    """The signed 64-bit advisory lock key of a schema (advisory locks are per database already)."""
    digest = hashlib.sha256(_ADVISORY_NAMESPACE + (schema or "").encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    """A session-level ``pg_try_advisory_lock`` held by a connection of its own."""

    def __init__(self, storage: Storage) -> None:
        self.key = advisory_key(storage.schema)
        # A pooled connection returned to its pool would keep the session, and so the lock.
        self._engine = create_engine(storage.url, poolclass=NullPool)
        self._conn: Connection | None = None
        try:
            self._conn = self._engine.connect()
            query = text("SELECT pg_try_advisory_lock(:key)")
            got = self._conn.execute(query, {"key": self.key}).scalar_one()
            holder = None if got else self._holder(self._conn)
            # The lock outlives the transaction; an idle-in-transaction session would hold back vacuum.
            self._conn.commit()
        except SQLAlchemyError as exc:
            self.release()
            raise BackendError(f"cannot take the writer lock of database {storage.name}: {exc}") from None
        if not got:
            self.release()
            raise DatabaseInUseError(
                f"database {storage.name} is in use by another leasechain-backend "
                f"(PostgreSQL advisory lock {self.key} held by server process {holder or 'unknown'}); "
                "stop it first, or serve another --db-schema"
            )

    def _holder(self, conn: Connection) -> int | None:
        unsigned = self.key & 0xFFFF_FFFF_FFFF_FFFF
        row = conn.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid = :high AND objid = :low AND objsubid = 1"
            ),
            {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF},
        ).first()
        return None if row is None else int(row[0])

    def release(self) -> None:
        """End the lock's session, which releases the lock."""
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None
        self._engine.dispose()


class NoLock:
    """An in-memory SQLite database cannot be shared: nothing to lock."""

    def release(self) -> None:
        """Nothing to release."""


def acquire(storage: Storage) -> WriterLock:
    """Take the writer lock of ``storage``'s database or raise :class:`DatabaseInUseError` naming it."""
    if storage.dialect == "postgresql":
        return AdvisoryLock(storage)
    path = storage.sqlite_path
    if storage.dialect == "sqlite":
        return NoLock() if path is None else FileLock(path)
    raise BackendError(f"no writer lock for a {storage.dialect} database ({storage.name})")


@contextlib.contextmanager
def held(storage: Storage) -> Iterator[WriterLock]:
    """The writer lock of ``storage``, released on leaving the block."""
    lock = acquire(storage)
    try:
        yield lock
    finally:
        lock.release()
