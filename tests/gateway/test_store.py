"""The store's history checks, batching, size bound and durability."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain_client import merkle
from chain_client.cose import MAX_MESSAGE_SIZE
from chain_client.message import decode, digest
from chain_client.reasons import Reason
from gateway.quarantine import MAX_DETAIL_CHARS, QUARANTINE_PREFIX_BYTES, Original
from gateway.store import SCHEMA_VERSION, Outcome, Received, Store, StoreFull
from gateway.verifier import Accepted, Rejected
from tests.gateway.helpers import Sensor


def _record(store: Store, *raws: bytes) -> list[tuple[Outcome, Reason | None]]:
    items = [(Received(raw, None, "test", time.time()), Accepted(decode(raw))) for raw in raws]
    return [(r.outcome, r.reason) for r in store.record(items)]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "s.sqlite3")


def test_duplicate_is_acknowledged_once_and_replay_quarantined(store: Store) -> None:
    s = Sensor.make(1)
    first = s.reading()
    forged_twin = Sensor(s.key).reading(readings={1: 99})  # same (device, boot, seq), other bytes
    assert _record(store, first, first) == [(Outcome.STORED, None), (Outcome.DUPLICATE, Reason.DUPLICATE)]
    assert _record(store, first) == [(Outcome.DUPLICATE, Reason.DUPLICATE)]
    assert _record(store, forged_twin) == [(Outcome.QUARANTINED, Reason.REPLAY)]
    assert len(store.readings()) == 1
    assert store.quarantined()[0][2] == forged_twin
    counters = store.stats().counters
    assert counters["duplicate"] == 2
    assert counters["rejected:replay"] == 1


def test_broken_chain_against_predecessor_and_successor(store: Store) -> None:
    s = Sensor.make(2)
    r0, r1, r2 = s.reading(), s.reading(), s.reading()
    wrong_prev = Sensor(s.key, seq=3, prev=bytes(32)).reading()
    assert _record(store, r0, r1)[1] == (Outcome.STORED, None)
    assert _record(store, wrong_prev) == [(Outcome.STORED, Reason.SEQUENCE_GAP)]  # seq 2 missing
    # seq 2 arrives late: it chains to seq 1, but stored seq 3 does not chain to it.
    assert _record(store, r2) == [(Outcome.QUARANTINED, Reason.BROKEN_CHAIN)]
    # A forged seq 1 replacement is a replay, a forged seq 4 whose prev is wrong breaks the chain.
    bad_successor = Sensor(s.key, seq=4, prev=digest(r0)).reading()
    assert _record(store, bad_successor) == [(Outcome.QUARANTINED, Reason.BROKEN_CHAIN)]


def test_gaps_are_noted_and_late_arrivals_accepted(store: Store) -> None:
    s = Sensor.make(3)
    readings = [s.reading() for _ in range(5)]
    assert _record(store, readings[0], readings[1]) == [(Outcome.STORED, None)] * 2
    assert _record(store, readings[4]) == [(Outcome.STORED, Reason.SEQUENCE_GAP)]
    # The late ones fill the hole: seq 2 follows 1; seq 3 has 2 before it and 4 after it.
    assert _record(store, readings[2], readings[3]) == [(Outcome.STORED, None)] * 2
    assert [seq for _d, _b, seq, _r in store.readings()] == [0, 1, 4, 2, 3]
    assert store.stats().counters["noted:sequence_gap"] == 1


def test_new_boot_continues_the_chain_or_notes_a_gap(store: Store) -> None:
    s = Sensor.make(4)
    last = [s.reading() for _ in range(3)][-1]
    s.reboot()
    assert _record(store, last) == [(Outcome.STORED, None)]
    assert _record(store, s.reading()) == [(Outcome.STORED, None)]  # boot 2 seq 0 chains to it
    s.reboot()
    # The gateway cannot know the stored message was the device's last: only a note.
    assert _record(store, s.reading(prev=bytes(32))) == [(Outcome.STORED, Reason.SEQUENCE_GAP)]
    s.reboot()
    s.reading()  # seq 0 of boot 4 never arrives
    assert _record(store, s.reading()) == [(Outcome.STORED, Reason.SEQUENCE_GAP)]
    # A device first heard of in the middle of a boot shows no gap.
    fresh = Sensor.make(44)
    fresh.reading()
    assert _record(store, fresh.reading()) == [(Outcome.STORED, None)]


def test_rejections_are_stored_with_reason_and_bytes(store: Store) -> None:
    received = Received(b"\x01garbage", "t", "test", time.time())
    result = store.record([(received, Rejected(Reason.BAD_CBOR, "not CBOR"))])
    assert result[0].outcome is Outcome.QUARANTINED
    assert store.quarantined() == [
        ("bad_cbor", "not CBOR", b"\x01garbage", 8, hashlib.sha256(b"\x01garbage").digest())
    ]


def test_sealed_batch_root_is_over_the_original_bytes(store: Store) -> None:
    s = Sensor.make(5)
    raws = [s.reading() for _ in range(7)]
    _record(store, *raws)
    now = time.time()
    assert store.seal_batch("gw", 5, 60.0, now) is not None
    assert store.seal_batch("gw", 5, 60.0, now) is None  # 2 left, not full, not old
    second = store.seal_batch("gw", 5, 60.0, now + 61)
    assert second is not None
    first = store.next_pending()
    assert first is not None
    assert first.size == 5
    assert store.batch_leaves(first.id) == raws[:5]
    assert first.root == merkle.root(raws[:5])
    assert second.root == merkle.root(raws[5:])
    assert first.id != second.id
    store.mark_anchored(first.id, "{}", now)
    assert store.next_pending() == second


def test_full_store_refuses_without_writing_then_frees_anchored(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3", max_bytes=1_000_000)
    s = Sensor.make(6)
    with pytest.raises(StoreFull):  # noqa: PT012 - fill until the bound is hit
        while True:
            _record(store, *(s.reading() for _ in range(200)))
    stored = len(store.readings())
    assert store.used_bytes() > 1_000_000 * 0.9
    with pytest.raises(StoreFull):
        _record(store, s.reading())
    assert len(store.readings()) == stored  # nothing written, nothing unanchored dropped
    batch = store.seal_batch("gw", 3500, 60.0, time.time(), force=True)
    assert batch is not None
    store.mark_anchored(batch.id, "{}", time.time())
    assert _record(store, Sensor(s.key, seq=s.seq, prev=s.prev).reading())[0][0] is Outcome.STORED
    assert len(store.readings()) < stored  # anchored readings made room


def test_committed_rows_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = Store(path)
    s = Sensor.make(7)
    raws = [s.reading() for _ in range(3)]
    _record(store, *raws)
    # No close(): as after kill -9, only the WAL holds the commit.
    reopened = Store(path)
    assert [r[3] for r in reopened.readings()] == raws
    assert _record(reopened, raws[0]) == [(Outcome.DUPLICATE, Reason.DUPLICATE)]


class _SqlOnlyStore(Store):
    """The store judging every reading by queries: the reference for the in-memory path."""

    _record_reading = Store._record_reading_sql


def _chain_pool() -> list[bytes]:
    """Readings of two devices over three boots: correct chains, wrong prevs and forged twins."""
    pool: list[bytes] = []
    for n in (41, 42):
        sensor = Sensor.make(n)
        for boot in (1, 2, 3):
            sensor.boot, sensor.seq = boot, 0
            for seq in range(5):
                pool.append(Sensor(sensor.key, boot=boot, seq=seq, prev=bytes(32)).reading())
                pool.append(Sensor(sensor.key, boot=boot, seq=seq, prev=sensor.prev).reading(readings={2: 1}))
                pool.append(sensor.reading())
    return pool


POOL = _chain_pool()


@given(
    st.lists(st.lists(st.integers(0, len(POOL) - 1), min_size=1, max_size=6), min_size=1, max_size=8),
    st.integers(0, 8),
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_in_memory_path_judges_like_the_queries(
    tmp_path_factory: pytest.TempPathFactory, groups: list[list[int]], reopen_at: int
) -> None:
    workdir = tmp_path_factory.mktemp("differential")
    fast, reference = Store(workdir / "fast.sqlite3"), _SqlOnlyStore(workdir / "ref.sqlite3")
    for number, group in enumerate(groups):
        if number == reopen_at:
            fast.close()
            fast = Store(workdir / "fast.sqlite3")  # the latest rows come back from the database
        raws = [POOL[i] for i in group]
        assert _record(fast, *raws) == _record(reference, *raws)
    assert fast.readings() == reference.readings()
    assert [q[:2] for q in fast.quarantined()] == [q[:2] for q in reference.quarantined()]
    fast.close()
    reference.close()


def test_a_failed_commit_forgets_what_it_would_have_stored(store: Store) -> None:
    s = Sensor.make(43)
    r0, r1 = s.reading(), s.reading()
    unbindable = Received(r1, None, object(), time.time())  # type: ignore[arg-type]  # forces the failure
    with pytest.raises(sqlite3.Error):
        store.record(
            [
                (Received(r0, None, "test", time.time()), Accepted(decode(r0))),
                (unbindable, Accepted(decode(r1))),
            ]
        )
    assert store.readings() == []
    assert _record(store, r0, r1) == [(Outcome.STORED, None)] * 2


def test_pruning_reloads_the_latest_rows(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3", keep_anchored_seconds=0)
    s = Sensor.make(44)
    r0, r1, _r2, r3 = s.reading(), s.reading(), s.reading(), s.reading()
    assert _record(store, r0, r1) == [(Outcome.STORED, None)] * 2
    batch = store.seal_batch("gw", 10, 0, time.time(), force=True)
    assert batch is not None
    store.mark_anchored(batch.id, "receipt", time.time() - 10)
    assert store.prune(time.time()) == 2
    # Nothing of the device is stored any more, so seq 3 shows no gap, as the queries would judge it.
    assert _record(store, r3) == [(Outcome.STORED, None)]


def _reject(store: Store, *raws: bytes, reason: Reason = Reason.BAD_CBOR) -> None:
    store.record([(Received(raw, "t", "test", time.time()), Rejected(reason, "bad")) for raw in raws])


def test_an_oversized_message_is_kept_as_size_digest_and_prefix(store: Store) -> None:
    big = bytes(range(256)) * 4096  # 1 MiB
    within = b"\x02" * MAX_MESSAGE_SIZE
    _reject(store, big, reason=Reason.OVERSIZE)
    _reject(store, within)
    newest, oldest = store.quarantined()
    assert oldest.size == len(big)
    assert oldest.sha256 == hashlib.sha256(big).digest()
    assert oldest.raw == big[:QUARANTINE_PREFIX_BYTES]
    assert newest.raw == within  # a message the protocol allows is evidence: kept whole
    assert store.used_bytes() < 200_000


def test_bytes_cut_by_the_input_keep_the_whole_messages_size_and_digest(store: Store) -> None:
    original = Original(50_000_000, bytes(32))
    received = Received(b"\x03" * MAX_MESSAGE_SIZE, "t", "mqtt", time.time())
    store.record([(received, Rejected(Reason.OVERSIZE, "message is 50000000 bytes", original=original))])
    row = store.quarantined()[0]
    assert (row.size, row.sha256, row.raw) == (50_000_000, bytes(32), b"\x03" * QUARANTINE_PREFIX_BYTES)


def test_a_long_detail_is_cut(store: Store) -> None:
    received = Received(b"x", "t" * 70_000, "mqtt", time.time())
    store.record([(received, Rejected(Reason.TOPIC_MISMATCH, "topic " + "t" * 70_000))])
    assert len(store.quarantined()[0].detail) == MAX_DETAIL_CHARS


def test_the_quarantine_cap_evicts_the_oldest_rows_and_counts_them(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3", quarantine_max_rows=5)
    s = Sensor.make(45)
    _reject(store, *(bytes([n]) for n in range(4)))
    readings = [s.reading() for _ in range(3)]
    _record(store, readings[0])
    _reject(store, *(bytes([n]) for n in range(4, 12)))  # one commit past the cap
    _record(store, readings[1])
    assert [row.raw for row in store.quarantined()] == [bytes([n]) for n in range(11, 6, -1)]
    assert store.stats().counters["quarantine_evicted"] == 7
    # One commit holding more rejections than the cap keeps its newest ones.
    _reject(store, *(bytes([n]) for n in range(20, 28)))
    assert [row.raw for row in store.quarantined()] == [bytes([n]) for n in range(27, 22, -1)]
    assert store.stats().counters["quarantine_evicted"] == 15
    # Readings, all unanchored, were never touched to make room.
    assert [r[3] for r in store.readings()] == readings[:2]
    reopened = Store(tmp_path / "s.sqlite3", quarantine_max_rows=5)  # the count comes back from the file
    _reject(reopened, b"\xff")
    assert len(reopened.quarantined()) == 5
    assert reopened.stats().counters["quarantine_evicted"] == 16


def test_a_failed_commit_does_not_count_its_quarantine_rows(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3", quarantine_max_rows=2)
    bad = Received(b"x", None, object(), time.time())  # type: ignore[arg-type]  # forces the failure
    ok = Received(b"y", None, "test", time.time())
    with pytest.raises(sqlite3.Error):
        store.record([(ok, Rejected(Reason.BAD_CBOR, "a")), (bad, Rejected(Reason.BAD_CBOR, "b"))])
    _reject(store, b"1", b"2")
    assert store.stats().quarantined == 2
    assert "quarantine_evicted" not in store.stats().counters


def test_a_full_store_evicts_quarantine_but_no_unanchored_reading(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite3", max_bytes=1_000_000)
    s = Sensor.make(46)
    _reject(store, *(bytes([n % 256]) * MAX_MESSAGE_SIZE for n in range(300)))
    with pytest.raises(StoreFull):  # noqa: PT012 - fill until the bound is hit
        while True:
            _record(store, *(s.reading() for _ in range(200)))
    assert store.stats().quarantined == 0
    assert store.stats().counters["quarantine_evicted"] == 300
    assert len(store.readings()) == s.seq - 200  # the refused commit wrote nothing


def test_a_schema_1_store_is_migrated_and_its_oversized_rows_cut(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    big, small = b"\x05" * 3_000_000, b"\x06" * 100
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE quarantine (id INTEGER PRIMARY KEY, reason TEXT NOT NULL, detail TEXT NOT NULL, "
        "device BLOB, raw BLOB NOT NULL, source TEXT NOT NULL, received_at REAL NOT NULL);"
        "PRAGMA user_version=1;"
    )
    db.executemany(
        "INSERT INTO quarantine (reason, detail, raw, source, received_at) VALUES (?, 'd', ?, 'mqtt', 0)",
        [("oversize", big), ("bad_cbor", small)],
    )
    db.commit()
    db.close()
    store = Store(path)
    newest, oldest = store.quarantined()
    assert (oldest.size, oldest.sha256, oldest.raw) == (
        len(big),
        hashlib.sha256(big).digest(),
        big[:QUARANTINE_PREFIX_BYTES],
    )
    assert (newest.size, newest.raw) == (len(small), small)
    assert store.used_bytes() < 1_000_000
    store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
