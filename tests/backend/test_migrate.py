"""``leasechain-backend migrate``: a database of schema version 2 is refused by name, then migrated
by the one command to the same log, state digest, readings and proofs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, LargeBinary, MetaData, String, Table, text

from backend.errors import BackendError
from backend.ledger import Ledger
from backend.storage import SCHEMA_VERSION, Storage, meta_table, readings_table
from backend.verify import message_fields
from tests.backend.server import Server, command
from tests.backend.test_checkpoints import _busy
from tests.backend.world import World, seeded_key

# The readings table as schema version 2 wrote it: every field of the message in its own column.
_v2 = MetaData()
_V2_READINGS = Table(
    "readings",
    _v2,
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


def _engine(storage: Storage) -> sqlalchemy.Engine:
    engine = sqlalchemy.create_engine(storage.url)
    if storage.schema:
        engine = engine.execution_options(schema_translate_map={None: storage.schema})
    return engine


def _as_version_2(storage: Storage) -> None:
    """Rewrite the readings table in the layout of version 2, with the rows version 2 wrote."""
    engine = _engine(storage)
    with engine.begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sqlalchemy.select(readings_table)).all()]
        readings_table.drop(conn)
        _V2_READINGS.create(conn)
        if rows:
            conn.execute(_V2_READINGS.insert(), [{**r, **message_fields(r["message"])} for r in rows])
        conn.execute(meta_table.update().where(meta_table.c.key == "schema_version").values(value="2"))
    engine.dispose()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command(), *args], capture_output=True, text=True, timeout=120, check=False)


def _db_args(storage: Storage, tmp_path: Path) -> list[str]:
    if storage.schema is None:
        assert storage.sqlite_path is not None
        return ["--db", f"sqlite:///{storage.sqlite_path}"]
    return ["--db", storage.url.replace("+psycopg", ""), "--db-schema", storage.schema]


def _seen(ledger: Ledger) -> dict[str, Any]:
    readings = ledger.storage.readings(limit=1000)
    return {
        "size": ledger.size,
        "root": ledger.tree.root(),
        "digest": ledger.digest(),
        "readings": readings,
        "proof": ledger.reading_proof(readings[0]["batch"], 1)["batch"],
    }


def test_a_version_2_database_is_refused_by_name_and_migrated_by_one_command(
    make_ledger: Callable[..., Ledger], clock: object, tmp_path: Path
) -> None:
    ledger = make_ledger(checkpoint_every=3)
    _busy(World(ledger, clock))  # type: ignore[arg-type]
    before = _seen(ledger)
    assert len(before["readings"]) == 2
    storage = ledger.storage
    ledger.close()
    _as_version_2(storage)

    old = Ledger(Storage(storage.url, schema=storage.schema), None)
    refusal = r"schema version 2, this backend reads version 3: .*leasechain-backend migrate"
    with pytest.raises(BackendError, match=refusal):
        old.open()
    old.close()
    refused = _cli("replay", *_db_args(storage, tmp_path))
    assert refused.returncode == 1
    assert "run `leasechain-backend migrate`" in refused.stderr

    done = _cli("migrate", *_db_args(storage, tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["schema_version"], report["migrated"], report["readings"]) == (SCHEMA_VERSION, True, 2)
    again = _cli("migrate", *_db_args(storage, tmp_path))
    assert json.loads(again.stdout)["migrated"] is False

    opened = Ledger(Storage(storage.url, schema=storage.schema), seeded_key("operator"))
    opened.open(create=False)
    try:
        assert opened.started_from > 0
        assert _seen(opened) == before
    finally:
        opened.close()
    replayed = json.loads(_cli("replay", *_db_args(storage, tmp_path)).stdout)
    assert (replayed["tree_size"], replayed["state_digest"]) == (before["size"], before["digest"].hex())


def test_a_failed_migration_changes_nothing(
    make_ledger: Callable[..., Ledger], clock: object, tmp_path: Path
) -> None:
    """A migration that fails half-way (here: a table in the way of its rename) leaves version 2 whole,
    its indexes included, and runs through once the obstacle is gone."""
    ledger = make_ledger()
    _busy(World(ledger, clock))  # type: ignore[arg-type]
    storage = ledger.storage
    ledger.close()
    _as_version_2(storage)
    engine = _engine(storage)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {_name(storage, 'readings_v2')} (x INTEGER)")
    failed = _cli("migrate", *_db_args(storage, tmp_path))
    assert failed.returncode == 1
    assert "failed, nothing changed" in failed.stderr
    with engine.connect() as conn:
        tables = sqlalchemy.inspect(conn)
        indexes = {i["name"] for i in tables.get_indexes("readings", schema=storage.schema)}
        version = conn.exec_driver_sql(f"SELECT value FROM {_name(storage, 'meta')}").scalar_one()
    assert {"readings_token_stamp", "readings_unbound_device"} <= indexes
    assert version == "2"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {_name(storage, 'readings_v2')}")
    engine.dispose()
    done = _cli("migrate", *_db_args(storage, tmp_path))
    assert (done.returncode, json.loads(done.stdout)["readings"]) == (0, 2)


def _name(storage: Storage, table: str) -> str:
    return f'"{storage.schema}"."{table}"' if storage.schema else f'"{table}"'


def test_migrate_beside_a_running_server_is_refused(server: Server) -> None:
    refused = _cli("migrate", *server.db_args)
    assert refused.returncode == 1
    assert "in use by another leasechain-backend" in refused.stderr
    assert server.get("/v1/info")["size"] == 1
