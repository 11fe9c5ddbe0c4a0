"""State checkpoints: a start from a snapshot gives the digest of a full replay; a bad snapshot is
skipped; exactly-once holds across a restart; the log itself vouches for every snapshot."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy

from backend.errors import BackendError
from backend.ledger import Ledger
from backend.storage import SCHEMA_VERSION, Storage, snapshots_table
from chain_client.ledger import TransactionError, TxReason
from tests.backend.server import Server
from tests.backend.test_http import OPERATOR, Actor
from tests.backend.world import T0, World, batch_args, reading, seeded_key


def _busy(world: World) -> tuple[World, bytes]:
    """Some of every kind of record: enterprises, a token with a device, shares, a lease, readings."""
    maker = world.enterprise("maker", "manufacturer")
    lessee = world.enterprise("lessee", "lessee")
    alice = world.enterprise("alice", "investor")
    gateway = world.enterprise("gateway", "service")
    world.fund(alice, 500)
    world.fund(lessee, 10_000)
    token = world.mint(maker, "SN-1", fee_terms=[(gateway, 100)])
    world.do(alice, "buy_shares", token=token, count=3)
    device = seeded_key("cp-device")
    world.do(maker, "bind_device", token=token, public_key=bytes(device.verify_key))
    terms = world.lease_terms(token, lessee, fees=[{"account": gateway.account, "bps": 100}])
    lease = world.do(maker, "offer_lease", **terms)["lease"]
    world.do(lessee, "sign_lease", lease=lease)
    first = reading(device, seq=1, time=T0 + 60, run_seconds=100)
    world.do(
        gateway, "anchor_batch", **batch_args([first, reading(device, seq=2, time=T0 + 90, run_seconds=900)])
    )
    return world, first


def _open(ledger: Ledger, *, full: bool = False) -> Ledger:
    again = Ledger(Storage(ledger.storage.url, schema=ledger.storage.schema), None, verify_workers=1)
    again.open(full=full)
    return again


def test_a_start_from_a_snapshot_gives_the_digest_of_a_full_replay(
    make_ledger: Callable[..., Ledger], clock: object
) -> None:
    ledger = make_ledger(checkpoint_every=5)
    _world, _ = _busy(World(ledger, clock))  # type: ignore[arg-type]
    assert ledger.last_checkpoint > 0
    checkpoints = [r for r in ledger.storage.log_rows() if r.tx_type == "checkpoint"]
    assert len(checkpoints) >= 3
    digest, size = ledger.digest(), ledger.size
    quick, full = _open(ledger), _open(ledger, full=True)
    try:
        assert quick.started_from == ledger.last_checkpoint
        assert full.started_from == 0
        assert (quick.size, quick.digest()) == (full.size, full.digest()) == (size, digest)
        assert quick.tree.root() == full.tree.root() == ledger.tree.root()
        # The totals kept beside the snapshot are counted again from its records on a start.
        kept = [(s.active_leases, s.rent_paid) for s in (ledger.state, quick.state, full.state)]
        assert kept == [(1, 0)] * 3
    finally:
        quick.close()
        full.close()


def test_exactly_once_holds_across_a_restart(make_ledger: Callable[..., Ledger], clock: object) -> None:
    ledger = make_ledger(checkpoint_every=4)
    world, first = _busy(World(ledger, clock))  # type: ignore[arg-type]
    ledger.checkpoint()
    ledger.close()
    again = make_ledger(checkpoint_every=4)
    assert again.started_from == again.last_checkpoint > 0
    there = World(again, world.clock)
    result = there.do(there.party("gateway"), "anchor_batch", tx_id="again", **batch_args([first]))
    assert (result["verified"], result["duplicates"]) == (0, 1)
    # A retried submission from before the snapshot is still recognised by its id.
    maker = there.party("maker")
    args = {"name": "maker", "roles": ["manufacturer"], "info": {"country": "DE"}}
    retried = again.submit(there.tx(maker, "register_enterprise", "t1", **args))
    assert (retried["status"], retried["index"]) == ("duplicate", 1)
    with pytest.raises(TransactionError) as info:
        again.submit(there.tx(maker, "register_enterprise", "t1", **{**args, "name": "other"}))
    assert info.value.reason is TxReason.ID_CONFLICT


def test_a_tampered_snapshot_is_skipped_and_named(
    make_ledger: Callable[..., Ledger], clock: object, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = make_ledger(checkpoint_every=6)
    _busy(World(ledger, clock))  # type: ignore[arg-type]
    ledger.checkpoint()
    newest = ledger.last_checkpoint
    digest = ledger.digest()
    engine = sqlalchemy.create_engine(ledger.storage.url)
    if ledger.storage.schema:
        engine = engine.execution_options(schema_translate_map={None: ledger.storage.schema})
    with engine.begin() as conn:
        data = conn.execute(
            sqlalchemy.select(snapshots_table.c.data).where(snapshots_table.c.size == newest)
        ).scalar_one()
        forged = bytes(data).replace(b"Test platform", b"Evil platform")
        conn.execute(snapshots_table.update().where(snapshots_table.c.size == newest).values(data=forged))
    engine.dispose()
    with caplog.at_level(logging.WARNING, logger="backend.ledger"):
        again = _open(ledger)
    try:
        assert 0 < again.started_from < newest
        assert f"snapshot at size {newest} skipped" in caplog.text
        assert again.digest() == digest
    finally:
        again.close()


def test_a_checkpoint_with_a_wrong_digest_is_refused(world: World, ledger: Ledger) -> None:
    size = ledger.size
    world.refused(TxReason.CHECKPOINT_MISMATCH, world.operator, "checkpoint", size=size, digest=bytes(32))
    world.refused(
        TxReason.CHECKPOINT_MISMATCH, world.operator, "checkpoint", size=size + 1, digest=ledger.digest()
    )
    maker = world.enterprise("maker", "manufacturer")
    world.refused(TxReason.NOT_OPERATOR, maker, "checkpoint", size=ledger.size, digest=ledger.digest())
    world.do(world.operator, "checkpoint", size=ledger.size, digest=ledger.digest())


def test_a_checkpoint_written_before_the_credit_book_still_replays(
    make_ledger: Callable[..., Ledger], clock: object
) -> None:
    ledger = make_ledger()
    world, _ = _busy(World(ledger, clock))  # type: ignore[arg-type]
    legacy = ledger.state.digest_before_credit_book()
    assert legacy is not None
    assert legacy != ledger.digest()
    world.do(world.operator, "checkpoint", size=ledger.size, digest=legacy)
    digest = ledger.digest()
    full = _open(ledger, full=True)
    try:
        assert full.digest() == digest
    finally:
        full.close()
    # Once the log holds a market record, only the digest with the book is a checkpoint's.
    now = world.clock.now
    world.do(
        world.party("lessee"),
        "post_request",
        kind="mill",
        specs={},
        site="Leipzig",
        start=now,
        term=86_400,
        budget=1_000,
        hours=10,
        expires=now + 86_400,
    )
    assert ledger.state.digest_before_credit_book() is None


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.3, 0.9])
def test_a_kill_during_checkpoints_leaves_a_ledger_that_starts(
    storage_spec: tuple[str, str | None], tmp_path: Path, after: float
) -> None:
    """kill -9 while the server snapshots after every entry; the next start agrees with a full replay."""
    key_file = tmp_path / "operator.key"
    key_file.write_text(bytes(OPERATOR.key).hex())
    server = Server(tmp_path / "data", key_file, storage_spec)
    server.args += ["--checkpoint-every", "1"]
    server.data_dir.mkdir()
    server.start()
    actor = Actor(server)
    alice = actor.enterprise("alice", "investor")
    stop = threading.Event()

    def deposit_until_killed() -> None:
        while not stop.is_set():
            try:
                server.post(
                    "/v1/transactions",
                    actor.tx(OPERATOR, "deposit", account=alice.account, amount=1, reference="r"),
                )
            except OSError:
                return

    worker = threading.Thread(target=deposit_until_killed)
    worker.start()
    time.sleep(after)
    assert server.process is not None
    server.process.kill()
    server.process.wait()
    stop.set()
    worker.join(timeout=30)
    server.start()
    try:
        live = server.get("/v1/state/digest")
    finally:
        server.stop()
    replayed = server.replay()
    assert (replayed["tree_size"], replayed["state_digest"]) == (live["tree_size"], live["state_digest"])
    assert replayed["started_from"] == 0


def test_a_database_of_the_first_version_is_refused_by_name(tmp_path: Path) -> None:
    """A log of version 1 transactions can't be carried over: the start says so and changes nothing."""
    path = tmp_path / "old.sqlite3"
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE log (idx INTEGER PRIMARY KEY, entry BLOB)")
    engine.dispose()
    ledger = Ledger(Storage(f"sqlite:///{path}"), seeded_key("operator"))
    with pytest.raises(
        BackendError, match=rf"schema version 1, this backend reads version {SCHEMA_VERSION}.*'Upgrading'"
    ):
        ledger.open()
    ledger.close()
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    assert sqlalchemy.inspect(engine).get_table_names() == ["log"]  # nothing created beside it
    engine.dispose()
