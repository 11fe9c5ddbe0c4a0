"""Batching: sealing stored readings into batches with a Merkle root, and each batch's anchoring state."""

from __future__ import annotations

import hashlib
import sqlite3

from chain_client import merkle
from gateway.store.records import Batch


def batch_id(gateway_id: str, root: bytes) -> str:
    """Deterministic batch id: bound to the gateway and the batch's Merkle root."""
    return hashlib.sha256(b"leasechain-batch\x00" + gateway_id.encode() + b"\x00" + root).hexdigest()[:32]


class Batching:
    """Batches of readings and their anchoring state (a part of :class:`gateway.store.Store`)."""

    _db: sqlite3.Connection

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
