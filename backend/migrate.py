"""``leasechain-backend migrate``: bring a database of an earlier schema version to this one.

Versions 2 and 3 differ from 4 in the layout of the ``readings`` table only; the log, and so every
digest and proof, stays as it was.  The rows are copied into the new table in their schema 4 form
(:mod:`backend.reading_rows`: device id as bytes, token as a key of the new ``token_keys`` table,
verdict in the reason column), converted in Python in chunks (SQLite before 3.41 has no ``unhex``),
without the columns of version 2 that their message holds; the old table is dropped, the snapshots
are pruned to the newest :data:`backend.storage.KEEP_SNAPSHOTS`, and the version is set, all in
one database transaction: an interrupted or failed migration leaves the database as it was, and
running it again starts over.  It takes the writer lock, so it does not run beside a server.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select
from sqlalchemy.exc import SQLAlchemyError

from backend.errors import BackendError
from backend.storage import (
    MIGRATES,
    SCHEMA_VERSION,
    Storage,
    meta_table,
    readings_table,
    token_keys_table,
)
from backend.token_keys import TokenKeys

# The columns of versions 2 and 3 a version 4 row is made of (backend.reading_rows.encode).
_KEPT = ("batch", "position", "device", "token", "stamp", "status", "reason", "increment", "message")
_OLD_INDEXES = ("readings_token_stamp", "readings_unbound_device")
_CHUNK = 5000  # rows converted at a time: memory stays flat however many readings there are


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
    """Migrate ``storage`` from an earlier schema version (:data:`MIGRATES`); what was done, for the
    operator."""
    found = version_of(storage)
    if found == str(SCHEMA_VERSION):
        return {"database": storage.name, "schema_version": SCHEMA_VERSION, "migrated": False}
    if found not in MIGRATES:
        storage.check_version()  # raises, naming what the database holds and what to do
    engine = _transactional(storage)
    try:
        with engine.begin() as conn:
            rows = _readings_v4(conn, storage, f"readings_v{found}")
            storage.prune_snapshots(conn)
            conn.execute(
                meta_table.update()
                .where(meta_table.c.key == "schema_version")
                .values(value=str(SCHEMA_VERSION))
            )
    except (SQLAlchemyError, BackendError) as exc:
        raise BackendError(f"migrating {storage.name} failed, nothing changed: {exc}") from None
    finally:
        if engine is not storage.engine:
            engine.dispose()
    storage.check_version()
    return {
        "database": storage.name,
        "schema_version": SCHEMA_VERSION,
        "migrated": True,
        "from_version": int(str(found)),
        "readings": rows,
    }


def _readings_v4(conn: Connection, storage: Storage, old: str) -> int:
    def name(table: str) -> str:
        return f'"{storage.schema}"."{table}"' if storage.schema else f'"{table}"'

    for index in _OLD_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name(index)}")
    conn.exec_driver_sql(f"ALTER TABLE {name('readings')} RENAME TO {old}")
    token_keys_table.create(conn)
    readings_table.create(conn)
    tokens = TokenKeys(token_keys_table)  # its own map: the keys are kept only if this commits
    columns = ", ".join(f'"{c}"' for c in _KEPT)
    mark = "?" if storage.dialect == "sqlite" else "%s"
    # Only our own table and column names go into the text; the resume key is bound.
    more = (
        f"SELECT {columns} FROM {name(old)} WHERE (batch, position) > ({mark}, {mark}) "  # noqa: S608
        f"ORDER BY batch, position LIMIT {_CHUNK}"
    )
    copied, after = 0, (-1, -1)
    while True:
        rows = [dict(zip(_KEPT, r, strict=True)) for r in conn.exec_driver_sql(more, after).all()]
        if not rows:
            break
        tokens.remember(storage.write_readings(conn, rows, tokens))
        copied += len(rows)
        after = (rows[-1]["batch"], rows[-1]["position"])
    conn.exec_driver_sql(f"DROP TABLE {name(old)}")
    return copied
