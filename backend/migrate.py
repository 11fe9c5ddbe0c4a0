"""``leasechain-backend migrate``: bring a database of the previous schema version to this one.

Version 2 to 3 changes the layout of the ``readings`` table only; the log, and so every digest
and proof, stays as it was.  The rows are copied into the new table without the columns their
message holds, the old table is dropped, the snapshots are pruned to the newest
:data:`backend.storage.KEEP_SNAPSHOTS`, and the version is set, all in one database transaction:
an interrupted migration leaves the database of version 2, and running it again starts over.
It takes the writer lock, so it does not run beside a server.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from backend.errors import BackendError
from backend.storage import SCHEMA_VERSION, Storage, meta_table, readings_table

PREVIOUS = SCHEMA_VERSION - 1
# The version 3 columns, each also a column of version 2.
_KEPT = ("batch", "position", "device", "token", "stamp", "status", "reason", "increment", "message")
_OLD_INDEXES = ("readings_token_stamp", "readings_unbound_device")


def _transactional(storage: Storage) -> Engine:
    """The storage's engine, on SQLite with DDL inside the transaction too.

    Python's sqlite3 module commits before a DDL statement on its own; SQLAlchemy's documented
    recipe hands the transaction to SQLite instead, so the rename, copy and drop commit together.
    """
    if storage.dialect != "sqlite":
        return storage.engine
    engine = create_engine(storage.url, future=True)

    @event.listens_for(engine, "connect")
    def _no_implicit(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def version_of(storage: Storage) -> str | None:
    """The schema version the database's ``meta`` table states (None: no such table or row)."""
    try:
        with storage.engine.connect() as conn:
            if not inspect(conn).has_table(meta_table.name, schema=storage.schema):
                return None
            return conn.execute(
                select(meta_table.c.value).where(meta_table.c.key == "schema_version")
            ).scalar_one_or_none()
    except SQLAlchemyError as exc:
        raise BackendError(f"cannot read database {storage.name}: {exc}") from None


def migrate(storage: Storage) -> dict[str, object]:
    """Migrate ``storage`` from the previous schema version; what was done, for the operator."""
    found = version_of(storage)
    if found == str(SCHEMA_VERSION):
        return {"database": storage.name, "schema_version": SCHEMA_VERSION, "migrated": False}
    if found != str(PREVIOUS):
        storage.check_version()  # raises, naming what the database holds and what to do
    engine = _transactional(storage)
    try:
        with engine.begin() as conn:
            rows = _readings_v3(conn, storage)
            storage.prune_snapshots(conn)
            conn.execute(
                meta_table.update()
                .where(meta_table.c.key == "schema_version")
                .values(value=str(SCHEMA_VERSION))
            )
    except SQLAlchemyError as exc:
        raise BackendError(f"migrating {storage.name} failed, nothing changed: {exc}") from None
    finally:
        if engine is not storage.engine:
            engine.dispose()
    storage.check_version()
    return {"database": storage.name, "schema_version": SCHEMA_VERSION, "migrated": True, "readings": rows}


def _readings_v3(conn: Connection, storage: Storage) -> int:
    def name(table: str) -> str:
        return f'"{storage.schema}"."{table}"' if storage.schema else f'"{table}"'

    for index in _OLD_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name(index)}")
    conn.exec_driver_sql(f"ALTER TABLE {name('readings')} RENAME TO readings_v2")
    readings_table.create(conn)
    columns = ", ".join(f'"{c}"' for c in _KEPT)
    # Only our own table and column names go into the text.
    copied = conn.exec_driver_sql(
        f"INSERT INTO {name('readings')} ({columns}) SELECT {columns} FROM {name('readings_v2')}"  # noqa: S608
    )
    conn.exec_driver_sql(f"DROP TABLE {name('readings_v2')}")
    return int(copied.rowcount)
