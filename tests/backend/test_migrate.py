"""``leasechain-backend migrate``: a database of schema version 2 or 3 is refused by name, then migrated
by the one command to the same log, state digest and API answers (readings, proofs, evidence,
invoices); a migration that fails changes nothing."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, LargeBinary, MetaData, String, Table, text

from backend import migrate as migration
from backend.errors import BackendError
from backend.ledger import Ledger
from backend.reads import ReadingFilter, Reads
from backend.storage import SCHEMA_VERSION, Storage, meta_table, readings_table, token_keys_table
from chain_client.device import device_id
from tests.backend.server import Server, command
from tests.backend.test_checkpoints import _busy
from tests.backend.world import DAY, T0, World, batch_args, reading, seeded_key

_old = MetaData()
# The readings table as schema version 2 wrote it: every field of the message in its own column.
_V2_READINGS = Table(
    "readings",
    _old,
    Column("batch", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("device", String(32), nullable=False),
    Column("token", String(100), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("boot", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("device_time", BigInteger, nullable=False),
    Column("synced", Boolean, nullable=False),
    Column("stamp", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("increment", BigInteger, nullable=False),
    Column("run_seconds", BigInteger, nullable=False),
    Column("message", LargeBinary, nullable=False),
    Index("readings_token_stamp", "token", "stamp"),
    Index(
        "readings_unbound_device",
        "device",
        "stamp",
        sqlite_where=text("token = ''"),
        postgresql_where=text("token = ''"),
    ),
)
_v3 = MetaData()
# The readings table as schema version 3 wrote it: device in hex, token id and verdict as text.
_V3_READINGS = Table(
    "readings",
    _v3,
    Column("batch", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("device", String(32), nullable=False),
    Column("token", String(100), nullable=False),
    Column("stamp", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("increment", BigInteger, nullable=False),
    Column("message", LargeBinary, nullable=False),
    Index("readings_token_stamp", "token", "stamp", "increment", postgresql_include=["batch", "position"]),
    Index(
        "readings_unbound_device",
        "device",
        "stamp",
        sqlite_where=text("token = ''"),
        postgresql_where=text("token = ''"),
    ),
    sqlite_with_rowid=False,
)
_OLD = {"2": _V2_READINGS, "3": _V3_READINGS}


def _engine(storage: Storage) -> sqlalchemy.Engine:
    engine = sqlalchemy.create_engine(storage.url)
    if storage.schema:
        engine = engine.execution_options(schema_translate_map={None: storage.schema})
    return engine


def _as_version(storage: Storage, version: str) -> None:
    """Rewrite the readings table in the layout of ``version``, with the rows that version wrote."""
    rows = storage.readings(limit=10**6)  # as the ledger wrote them, with their message's fields
    old = _OLD[version]
    engine = _engine(storage)
    with engine.begin() as conn:
        readings_table.drop(conn)
        token_keys_table.drop(conn)
        old.create(conn)
        conn.execute(old.insert(), [{c.name: r[c.name] for c in old.columns} for r in rows])
        conn.execute(meta_table.update().where(meta_table.c.key == "schema_version").values(value=version))
    engine.dispose()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command(), *args], capture_output=True, text=True, timeout=120, check=False)


def _db_args(storage: Storage) -> list[str]:
    if storage.schema is None:
        assert storage.sqlite_path is not None
        return ["--db", f"sqlite:///{storage.sqlite_path}"]
    return ["--db", storage.url.replace("+psycopg", ""), "--db-schema", storage.schema]


def _verdicts(world: World) -> tuple[str, str]:
    """After :func:`_busy`: a batch of every verdict, bound and unbound devices, and an invoice over
    the period; the lease and the token."""
    gateway, maker = world.party("gateway"), world.party("maker")
    device, stranger = seeded_key("cp-device"), seeded_key("stranger")
    forged = bytearray(reading(device, seq=3, time=T0 + 95))
    forged[-1] ^= 1
    msgs = [
        reading(device, seq=1, time=T0 + 100, run_seconds=5),  # duplicate of the first
        bytes(forged),  # bad signature
        reading(stranger, seq=1, time=T0 + 120),  # unknown device: no token
        b"\xa0",  # does not decode: no device either
        reading(device, seq=4, time=T0 + 130, run_seconds=1500),  # verified
    ]
    world.do(gateway, "anchor_batch", **batch_args(msgs))
    (lease,) = world.ledger.state.leases
    token = world.ledger.state.leases[lease].token
    world.clock.advance(DAY + 1)
    world.do(maker, "issue_invoice", lease=lease, period=0)
    return lease, token


def _answers(ledger: Ledger, lease: str, token: str) -> dict[str, Any]:
    """What the API answers about the readings, and what the log is."""
    reads = Reads(ledger)
    device, stranger = (device_id(bytes(seeded_key(k).verify_key)).hex() for k in ("cp-device", "stranger"))
    filters = [
        ReadingFilter(),
        ReadingFilter(newest_first=True),
        ReadingFilter(token=token, since=T0 + 90, until=T0 + 131),
        ReadingFilter(token=""),
        ReadingFilter(token="no-such-token"),
        ReadingFilter(device=device),
        ReadingFilter(device=stranger),
        *(ReadingFilter(status=s) for s in ("verified", "duplicate", "rejected", "other")),
    ]
    found: dict[str, Any] = {}
    for i, where in enumerate(filters):
        found[f"telemetry {i}"] = _pages(reads, where)
    rows = reads.telemetry(ReadingFilter(), None, 100)[0]
    found["proofs"] = [reads.reading_proof(r.batch, r.position).model_dump() for r in rows]
    found["batches"] = [reads.batch(b).model_dump() for b in sorted({r.batch for r in rows})]
    found["usage"] = reads.usage(token, T0, T0 + DAY).model_dump()
    found["evidence"] = reads.evidence(lease, 0).model_dump()
    found["lease"] = reads.lease(lease).model_dump()
    found["invoices"] = [reads.invoice(i).model_dump() for i in ledger.state.invoices]
    found["log"] = (ledger.size, ledger.tree.root(), ledger.digest())
    return found


def _pages(reads: Reads, where: ReadingFilter) -> list[Any]:
    """Every page of two rows, with the key each page ends on."""
    pages: list[Any] = []
    after = None
    while True:
        rows, last = reads.telemetry(where, after, 2)
        pages.append(([r.model_dump() for r in rows], last))
        if last is None:
            return pages
        after = tuple(last)


def _old_database(
    make_ledger: Callable[..., Ledger], clock: object, version: str
) -> tuple[Storage, dict[str, Any], tuple[str, str]]:
    """A ledger of every kind of reading, its answers, its database rewritten as ``version`` wrote it;
    the lease and token the answers are about."""
    ledger = make_ledger(checkpoint_every=3)
    world, _ = _busy(World(ledger, clock))  # type: ignore[arg-type]
    lease, token = _verdicts(world)
    before = _answers(ledger, lease, token)
    assert len(before["telemetry 0"][0][0]) == 2
    assert {p["status"] for p in before["proofs"]} == {"verified", "duplicate", "rejected"}
    assert before["invoices"][0]["usage_seconds"] > 0
    storage = ledger.storage
    ledger.close()
    _as_version(storage, version)
    return storage, before, (lease, token)


@pytest.mark.parametrize("version", ["3", "2"])
def test_an_old_database_is_refused_by_name_and_migrated_by_one_command(
    make_ledger: Callable[..., Ledger], clock: object, version: str
) -> None:
    storage, before, (lease, token) = _old_database(make_ledger, clock, version)
    old = Ledger(Storage(storage.url, schema=storage.schema), None)
    refusal = rf"schema version {version}, this backend reads version 4: .*leasechain-backend migrate"
    with pytest.raises(BackendError, match=refusal):
        old.open()
    old.close()
    refused = _cli("replay", *_db_args(storage))
    assert refused.returncode == 1
    assert "run `leasechain-backend migrate`" in refused.stderr

    done = _cli("migrate", *_db_args(storage))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report == {
        "database": storage.name,
        "schema_version": SCHEMA_VERSION,
        "migrated": True,
        "from_version": int(version),
        "readings": 7,
    }
    again = _cli("migrate", *_db_args(storage))
    assert json.loads(again.stdout)["migrated"] is False

    opened = Ledger(Storage(storage.url, schema=storage.schema), seeded_key("operator"))
    opened.open(create=False)
    try:
        assert opened.started_from > 0
        assert _answers(opened, lease, token) == before
    finally:
        opened.close()
    replayed = json.loads(_cli("replay", *_db_args(storage)).stdout)
    size, _, digest = before["log"]
    assert (replayed["tree_size"], replayed["state_digest"]) == (size, digest.hex())


def _old_layout(storage: Storage) -> tuple[set[str], set[str], str, list[Any]]:
    engine = _engine(storage)
    with engine.connect() as conn:
        tables = sqlalchemy.inspect(conn)
        names = set(tables.get_table_names(schema=storage.schema))
        indexes = {i["name"] for i in tables.get_indexes("readings", schema=storage.schema)}
        version = conn.exec_driver_sql(f"SELECT value FROM {_name(storage, 'meta')}").scalar_one()
        rows = conn.exec_driver_sql(
            f"SELECT * FROM {_name(storage, 'readings')} ORDER BY batch, position"
        ).all()
    engine.dispose()
    return names, {str(i) for i in indexes}, str(version), [tuple(r) for r in rows]


@pytest.mark.parametrize("version", ["3", "2"])
def test_a_migration_that_fails_in_its_ddl_changes_nothing(
    make_ledger: Callable[..., Ledger], clock: object, version: str
) -> None:
    """A migration that fails half-way (here: a table in the way of its rename) leaves the old version
    whole, its indexes included, and runs through once the obstacle is gone."""
    storage, _, _ = _old_database(make_ledger, clock, version)
    engine = _engine(storage)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {_name(storage, f'readings_v{version}')} (x INTEGER)")
    engine.dispose()
    layout = _old_layout(storage)
    failed = _cli("migrate", *_db_args(storage))
    assert failed.returncode == 1
    assert "failed, nothing changed" in failed.stderr
    assert _old_layout(storage) == layout
    names, indexes, found, _ = layout
    assert "token_keys" not in names
    assert {"readings_token_stamp", "readings_unbound_device"} <= indexes
    assert found == version
    engine = _engine(storage)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {_name(storage, f'readings_v{version}')}")
    engine.dispose()
    done = _cli("migrate", *_db_args(storage))
    assert (done.returncode, json.loads(done.stdout)["readings"]) == (0, 7)


def test_a_migration_that_fails_on_a_row_changes_nothing(
    make_ledger: Callable[..., Ledger], clock: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row that has no schema 4 form, found after other chunks were already copied, undoes them all."""
    storage, _, _ = _old_database(make_ledger, clock, "3")
    engine = _engine(storage)
    with engine.begin() as conn:
        last = conn.exec_driver_sql(
            f"SELECT batch, position FROM {_name(storage, 'readings')} ORDER BY batch DESC, position DESC"
        ).first()
        assert last is not None
        conn.execute(
            _V3_READINGS.update()
            .where(_V3_READINGS.c.batch == last[0], _V3_READINGS.c.position == last[1])
            .values(device="not-hex")
        )
    engine.dispose()
    layout = _old_layout(storage)
    monkeypatch.setattr(migration, "_CHUNK", 2)  # three chunks copied before the bad row
    with pytest.raises(BackendError, match=r"failed, nothing changed: .*device 'not-hex'"):
        migration.migrate(Storage(storage.url, schema=storage.schema))
    assert _old_layout(storage) == layout


def _name(storage: Storage, table: str) -> str:
    return f'"{storage.schema}"."{table}"' if storage.schema else f'"{table}"'


def test_migrate_beside_a_running_server_is_refused(server: Server) -> None:
    refused = _cli("migrate", *server.db_args)
    assert refused.returncode == 1
    assert "in use by another leasechain-backend" in refused.stderr
    assert server.get("/v1/info")["size"] == 1
