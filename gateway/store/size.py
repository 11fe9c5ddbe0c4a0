"""The size bound and the overflow policy (``store.max_bytes``, ``store.quarantine_max_rows``).

Anchored readings are deleted once older than ``store.keep_anchored_seconds``;
when the database grows past ``max_bytes``, anchored readings are deleted oldest
first, then quarantined messages oldest first; if it is still full,
:meth:`gateway.store.Store.record` raises :class:`StoreFull` without writing, the
service stops acknowledging, and unacknowledged messages stay queued in the broker
(and in the sensors' flash buffers) until anchoring frees space.  Nothing
unanchored is dropped.

The quarantine has its own bound, so that bad input cannot crowd out readings: past
``quarantine_max_rows`` rows the oldest are evicted in the transaction that adds new
ones, counted as ``quarantine_evicted``.  Evicting quarantine rows never touches a
reading.
"""

from __future__ import annotations

import logging
import time

from gateway.store.history import History

log = logging.getLogger("gateway.store")

EVICTION_LOG_SECONDS = 60.0  # at most one log line per minute while a flood fills the quarantine


class SizePolicy(History):
    """Keeping the store within its bounds (a part of :class:`gateway.store.Store`)."""

    max_bytes: int
    keep_anchored_seconds: int
    quarantine_max_rows: int
    _page_size: int
    _evicted_unlogged: int
    _eviction_logged_at: float

    def used_bytes(self) -> int:
        """Bytes of the database in use (pages minus free pages)."""
        pages = self._db.execute("PRAGMA page_count").fetchone()[0]
        free = self._db.execute("PRAGMA freelist_count").fetchone()[0]
        return int((pages - free) * self._page_size)

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
