"""The history rules of docs/protocol.md, judged inside the recording transaction.

duplicate, replay, broken_chain and sequence_gap depend on what the store already
holds of a device.  The common case is decided without reading the database: the
store keeps, per device, the highest stored (boot, seq) and its digest (loaded when
the store opens, updated with every insert, reloaded after deletions).  A reading
beyond that point of its device can only be a successor, a gap or a new boot, which
that one row settles; its insert waits in a list written with one ``executemany``
per commit.  Anything at or before it (a redelivered copy, a late reading filling a
gap) takes the SQL path, after the waiting rows are written so the query sees them.
"""

from __future__ import annotations

import sqlite3

from chain_client.payload import Birth, Reading
from chain_client.reasons import Reason
from gateway.quarantine import Original, keep, short_detail
from gateway.store.records import _STORED, Outcome, Received, Result
from gateway.verifier import Accepted, Rejected, Verdict


class History:
    """Recording one message at a time against what is stored (a part of :class:`gateway.store.Store`)."""

    _db: sqlite3.Connection
    _now: float  # the time of the commit being recorded
    # device -> (boot, seq, digest) of its highest stored (boot, seq)
    _latest: dict[bytes, tuple[int, int, bytes]]
    # What this transaction changed in _latest (None: the device had no entry), for a rollback.
    _undo: dict[bytes, tuple[int, int, bytes] | None]
    _pending: list[tuple[object, ...]]  # reading rows not yet written
    _quarantine_rows: int

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
