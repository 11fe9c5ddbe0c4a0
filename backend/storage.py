"""Durable storage of the log and its derived indexes: SQLite by default, PostgreSQL by URL.

The same SQLAlchemy Core code runs on both.  The ``log`` table is the
authority: every other table (batches, readings, tree heads) is written in
the same database transaction as the entries it derives from, and the
in-memory state is rebuilt from ``log`` alone at start.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    literal_column,
    select,
    text,
    tuple_,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from backend import reading_rows
from backend.errors import BackendError
from backend.token_keys import UNBOUND, TokenKeys
from backend.token_keys import token_keys_table as token_keys_table_in
from backend.verify import message_fields
from chain_client.ledger.evidence import Increment

metadata = MetaData()

log_table = Table(
    "log",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("entry", LargeBinary, nullable=False),
    Column("signer", String(64), nullable=False),
    Column("tx_id", String(64), nullable=False),
    Column("tx_type", String(32), nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("result", Text, nullable=False),
    UniqueConstraint("signer", "tx_id", name="log_signer_tx_id"),
)

tree_heads_table = Table(
    "tree_heads",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
)

batches_table = Table(
    "batches",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("batch_id", String(64), nullable=False),
    Column("gateway", String(64), nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("count", Integer, nullable=False),
)

readings_table = Table(
    "readings",
    metadata,
    # The integers first, the variable-length columns last: PostgreSQL pads a row to align each
    # integer, and an 8-byte integer after a 4-byte one would cost 4 bytes of padding.
    Column("batch", BigInteger, primary_key=True, autoincrement=False),
    Column("position", Integer, primary_key=True, autoincrement=False),
    # The row's token as its key in ``token_keys`` (0: bound to no token), its device id as bytes
    # and its verdict in ``reason`` (NULL: verified, "": duplicate, else the rejection's reason):
    # backend/reading_rows.py encodes and decodes them.
    Column("token_key", Integer, nullable=False),
    Column("stamp", BigInteger, nullable=False),
    Column("increment", BigInteger, nullable=False),
    Column("device", LargeBinary, nullable=False),
    Column("reason", String(32), nullable=True),
    # The message's own fields (kind, boot, seq, time, synced, run seconds) are not columns: they
    # are read from the message when a row is served (:func:`message_fields`).
    Column("message", LargeBinary, nullable=False),
    # An invoice's query reads this index alone: on SQLite the key of a table without rowid (batch,
    # position) is in every index entry, on PostgreSQL the INCLUDE adds it.
    Index(
        "readings_token_stamp", "token_key", "stamp", "increment", postgresql_include=["batch", "position"]
    ),
    # Messages of devices bound to no token: few on an honest ledger, but a hostile service could
    # anchor many, and a query by device must not walk all of them.
    Index(
        "readings_unbound_device",
        "device",
        "stamp",
        sqlite_where=text(f"token_key = {UNBOUND}"),
        postgresql_where=text(f"token_key = {UNBOUND}"),
    ),
    # Rows of under 300 bytes under a key of two integers: stored in the key's B-tree, SQLite keeps
    # no second copy of the key in a rowid index.
    sqlite_with_rowid=False,
)
token_keys_table = token_keys_table_in(metadata)

# The layout of the tables and the version of the log they hold.  Version 2: transactions of
# version 2 (bound to one ledger), batches' messages beside their entries, state snapshots.
# Version 3: the same log; readings without the columns their message holds, in a table without
# rowid, a covering (token, stamp) index.  Version 4: the same log; readings with the device id as
# bytes, the token as a key of ``token_keys`` and the verdict folded into the reason.
# ``leasechain-backend migrate`` converts the versions of :data:`MIGRATES`.
SCHEMA_VERSION = 4
MIGRATES = ("2", "3")
KEEP_SNAPSHOTS = 3  # the newest snapshot and two to fall back on

meta_table = Table(
    "meta",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("value", String(64), nullable=False),
)

snapshots_table = Table(
    "snapshots",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("digest", LargeBinary(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
)


@dataclass(frozen=True)
class IndexRow:
    """What a start needs of an entry it does not replay: its place in the tree and its id."""

    index: int
    leaf_hash: bytes
    signer: str
    tx_id: str
    time: int


@dataclass(frozen=True)
class Snapshot:
    """A stored state snapshot: the state after the first ``size`` entries."""

    size: int
    digest: bytes
    data: bytes


@dataclass(frozen=True)
class LogRow:
    """One stored log entry."""

    index: int
    leaf_hash: bytes
    entry: bytes
    signer: str
    tx_id: str
    tx_type: str
    time: int
    result: str


@dataclass
class Pending:
    """Rows to write in one database transaction."""

    log: list[dict[str, Any]]
    batches: list[dict[str, Any]]
    readings: list[dict[str, Any]]
    snapshot: Snapshot | None = None

    @classmethod
    def empty(cls) -> Pending:
        """Nothing to write yet."""
        return cls(log=[], batches=[], readings=[])


def _served(row: Mapping[str, Any]) -> dict[str, Any]:
    """A reading row as the ledger wrote it with the fields of its message beside the columns."""
    return {**row, **message_fields(bytes(row["message"]))}


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``sqlite:///path`` URLs; use psycopg 3 for PostgreSQL."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:  # noqa: ANN401 - DB-API objects
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; synchronous=FULL makes every
    # acknowledged commit survive a power cut, as a ledger must.
    # A new database gets 2 KiB pages (an existing one keeps its own): a commit writes every page it
    # changed whole into the WAL, and a batch changes one index page per token (below).
    cursor.execute("PRAGMA page_size=2048")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    # Every batch rewrites the tail page of each of its tokens in the (token, stamp) index: keep
    # those pages in the cache (16 MiB holds the tails of thousands of tokens) and let the WAL hold
    # several batches (10,000 pages, about 20 MiB), so a page rewritten by batch after batch is
    # copied back into the database once per checkpoint, not once per batch.
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


class Storage:
    """The backend's database: one engine, optional PostgreSQL schema."""

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.url = normalise_url(url)
        self.schema = schema
        try:
            self.engine: Engine = create_engine(self.url, future=True)
        except (SQLAlchemyError, ValueError, ImportError) as exc:
            raise BackendError(f"cannot open database {url!r}: {exc}") from None
        self.dialect = self.engine.dialect.name
        self.tokens = TokenKeys(token_keys_table)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if schema is not None:
            if self.dialect != "postgresql":
                raise BackendError(f"a schema ({schema!r}) needs PostgreSQL, not {self.dialect}")
            self.engine = self.engine.execution_options(schema_translate_map={None: schema})

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None for PostgreSQL and in-memory SQLite."""
        database = self.engine.url.database
        if self.dialect != "sqlite" or not database or database == ":memory:":
            return None
        return Path(database)

    @property
    def name(self) -> str:
        """The database as an operator would name it: a file, or a URL (without password) and schema."""
        path = self.sqlite_path
        if path is not None:
            return str(path)
        url = self.engine.url.render_as_string(hide_password=True)
        return url if self.schema is None else f"{url} (schema {self.schema})"

    def has_log(self) -> bool:
        """Whether the database already holds a log table (asks without creating anything)."""
        try:
            with self.engine.connect() as conn:
                return inspect(conn).has_table(log_table.name, schema=self.schema)
        except SQLAlchemyError as exc:
            raise BackendError(f"cannot read database {self.name}: {exc}") from None

    def create(self) -> None:
        """Create the schema (if asked) and every table that does not exist yet; refuse an old database."""
        try:
            with self.engine.begin() as conn:
                if self.schema is not None:
                    conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                tables = inspect(conn)
                fresh = not tables.has_table(meta_table.name, schema=self.schema)
                if fresh and tables.has_table(log_table.name, schema=self.schema):
                    raise BackendError(self._older(1))
                if not fresh:
                    self._check(conn)  # before anything is created beside tables of another version
                metadata.create_all(conn)
                if fresh:
                    conn.execute(meta_table.insert(), {"key": "schema_version", "value": str(SCHEMA_VERSION)})
        except SQLAlchemyError as exc:
            raise BackendError(f"cannot create the tables in {self.name}: {exc}") from None
        self.check_version()

    def check_version(self) -> None:
        """Refuse a database whose tables another version of the backend wrote."""
        try:
            with self.engine.connect() as conn:
                self._check(conn)
        except SQLAlchemyError as exc:
            raise BackendError(f"cannot read database {self.name}: {exc}") from None

    def _check(self, conn: Connection) -> None:
        if not inspect(conn).has_table(meta_table.name, schema=self.schema):
            raise BackendError(self._older(1))
        found = conn.execute(
            select(meta_table.c.value).where(meta_table.c.key == "schema_version")
        ).scalar_one_or_none()
        if found != str(SCHEMA_VERSION):
            raise BackendError(self._older(found))

    def _older(self, version: object) -> str:
        if str(version) in MIGRATES:
            return (
                f"database {self.name} holds schema version {version}, this backend reads version "
                f"{SCHEMA_VERSION}: stop the server and run `leasechain-backend migrate` with the same "
                "--data-dir or --db and --db-schema (docs/backend.md, 'Upgrading')"
            )
        if str(version) != "1":
            return (
                f"database {self.name} holds schema version {version}, this backend reads version "
                f"{SCHEMA_VERSION} and migrates only versions {', '.join(MIGRATES)} "
                "(docs/backend.md, 'Upgrading')"
            )
        return (
            f"database {self.name} holds a log of schema version {version}, this backend reads version "
            f"{SCHEMA_VERSION}. A version 1 log's transactions are not bound to one ledger and each is "
            "signed by its own party, so they cannot be carried over: keep that database for the "
            "release that wrote it, and start this one on a new data directory or schema "
            "(docs/backend.md, 'Upgrading')"
        )

    def ping(self) -> None:
        """Ask the database something trivial; a :class:`BackendError` when it does not answer."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
        except SQLAlchemyError as exc:
            raise BackendError(f"database {self.name} does not answer: {exc}") from None

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def write(self, pending: Pending) -> None:
        """Write ``pending`` rows atomically."""
        new_keys: dict[str, int] = {}
        with self.engine.begin() as conn:
            if pending.log:
                conn.execute(log_table.insert(), pending.log)
            if pending.batches:
                conn.execute(batches_table.insert(), pending.batches)
            if pending.readings:
                new_keys = self.write_readings(conn, pending.readings, self.tokens)
            if pending.snapshot is not None:
                snap = pending.snapshot
                conn.execute(
                    snapshots_table.insert(), {"size": snap.size, "digest": snap.digest, "data": snap.data}
                )
                self.prune_snapshots(conn)
        # Keys given in a transaction that did not commit name nothing: kept only now.
        self.tokens.remember(new_keys)

    def write_readings(
        self, conn: Connection, rows: Sequence[Mapping[str, Any]], tokens: TokenKeys
    ) -> dict[str, int]:
        """Insert ledger reading rows in their stored form; the token keys given (``tokens`` does not
        keep them yet: the caller does, once ``conn``'s transaction committed)."""
        keys, new = tokens.assign(conn, {r["token"] for r in rows})
        self._insert_fast(conn, readings_table, [reading_rows.encode(r, keys) for r in rows])
        return new

    def prune_snapshots(self, conn: Connection) -> None:
        """Keep the newest :data:`KEEP_SNAPSHOTS`: a start needs one that is good, not all of them."""
        t = snapshots_table
        kept = select(t.c.size).order_by(t.c.size.desc()).limit(KEEP_SNAPSHOTS).subquery()
        oldest = select(kept.c.size).order_by(kept.c.size).limit(1).scalar_subquery()
        conn.execute(t.delete().where(t.c.size < oldest))

    def _table(self, name: str) -> str:
        """A table's name for SQL text, in its schema."""
        return f'"{self.schema}"."{name}"' if self.schema else f'"{name}"'

    def _insert_fast(self, conn: Connection, table: Table, rows: list[tuple[Any, ...]]) -> None:
        """Bulk insert through the driver: the rows are tuples of the table's columns, already typed
        and checked.  PostgreSQL takes them by ``COPY``: for a batch's thousand readings that is about a
        third of the CPU of ``executemany``, the server's and this process's together
        (``python -m bench.pg_copy``), CPU that a small machine would take from verifying the next
        batch."""
        names = [c.name for c in table.columns]
        name = self._table(table.name)
        columns = ", ".join(f'"{n}"' for n in names)
        if self.dialect == "postgresql":
            driver = conn.connection.driver_connection
            # Only our own table and column names go into the text; the values travel as COPY data.
            with driver.cursor() as cursor, cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["?"] * len(names))
        # Only our own table and column names go into the text; values are bound parameters.
        sql = f"INSERT INTO {name} ({columns}) VALUES ({marks})"  # noqa: S608
        conn.exec_driver_sql(sql, rows)

    def log_rows(self, start: int = 0, end: int | None = None, chunk: int = 2000) -> Iterator[LogRow]:
        """Log entries in index order from ``start`` up to ``end`` (exclusive)."""
        position = start
        with self.engine.connect() as conn:
            while end is None or position < end:
                query = select(log_table).where(log_table.c.idx >= position).order_by(log_table.c.idx)
                limit = chunk if end is None else min(chunk, end - position)
                rows = conn.execute(query.limit(limit)).all()
                if not rows:
                    return
                for row in rows:
                    if row.idx != position:
                        raise BackendError(f"log entry {position} is missing (found {row.idx})")
                    yield LogRow(
                        index=row.idx,
                        leaf_hash=row.leaf_hash,
                        entry=row.entry,
                        signer=row.signer,
                        tx_id=row.tx_id,
                        tx_type=row.tx_type,
                        time=row.time,
                        result=row.result,
                    )
                    position += 1

    def index_rows(self, end: int, chunk: int = 20_000) -> Iterator[IndexRow]:
        """The first ``end`` entries' leaf hashes, ids and times, without reading the entries."""
        t = log_table
        position = 0
        with self.engine.connect() as conn:
            while position < end:
                query = (
                    select(t.c.idx, t.c.leaf_hash, t.c.signer, t.c.tx_id, t.c.time)
                    .where(t.c.idx >= position, t.c.idx < end)
                    .order_by(t.c.idx)
                    .limit(chunk)
                )
                rows = conn.execute(query).all()
                if not rows:
                    raise BackendError(f"log entry {position} is missing")
                for row in rows:
                    if row.idx != position:
                        raise BackendError(f"log entry {position} is missing (found {row.idx})")
                    yield IndexRow(row.idx, row.leaf_hash, row.signer, row.tx_id, row.time)
                    position += 1

    def snapshot_sizes(self) -> list[int]:
        """Sizes of the stored snapshots, newest first."""
        t = snapshots_table
        with self.engine.connect() as conn:
            return [int(s) for s in conn.execute(select(t.c.size).order_by(t.c.size.desc())).scalars()]

    def snapshot(self, size: int) -> Snapshot | None:
        """The snapshot of the state after ``size`` entries, if stored."""
        t = snapshots_table
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.size == size)).first()
            if row is not None and self.dialect == "postgresql":
                # libpq keeps its receive buffer as big as the largest row it was sent (the
                # snapshot as hex text, twice its size) for the connection's life: this one is
                # closed, not pooled.  A start reads one snapshot, so it costs one reconnection.
                conn.invalidate()
        return None if row is None else Snapshot(row.size, bytes(row.digest), bytes(row.data))

    def latest_tree_head(self) -> tuple[int, bytes, int, bytes] | None:
        """The newest stored tree head, without reading the others."""
        t = tree_heads_table
        with self.engine.connect() as conn:
            row = conn.execute(select(t).order_by(t.c.size.desc()).limit(1)).first()
        return None if row is None else (row.size, row.root, row.time, row.signature)

    def log_row(self, index: int) -> LogRow | None:
        """One log entry, or None."""
        for row in self.log_rows(index, index + 1):
            return row
        return None

    def result_of(self, index: int) -> str:
        """The stored result (JSON text) of entry ``index``."""
        with self.engine.connect() as conn:
            value = conn.execute(select(log_table.c.result).where(log_table.c.idx == index)).scalar_one()
        return str(value)

    def save_tree_head(self, size: int, root: bytes, time: int, signature: bytes) -> None:
        """Keep a signed tree head (its size is its key)."""
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(tree_heads_table.c.size).where(tree_heads_table.c.size == size)
            ).first()
            if existing is None:
                conn.execute(
                    tree_heads_table.insert(),
                    {"size": size, "root": root, "time": time, "signature": signature},
                )

    def tree_heads(self) -> list[tuple[int, bytes, int, bytes]]:
        """Every stored tree head as ``(size, root, time, signature)``, by size."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(tree_heads_table).order_by(tree_heads_table.c.size)).all()
        return [(r.size, r.root, r.time, r.signature) for r in rows]

    def batch(self, index: int) -> Mapping[str, Any] | None:
        """The batch anchored by log entry ``index``."""
        with self.engine.connect() as conn:
            row = conn.execute(select(batches_table).where(batches_table.c.idx == index)).first()
        return None if row is None else dict(row._mapping)

    def increments(self, token: str, start: int, end: int, before: int) -> list[Increment]:
        """Verified increments > 0 of ``token`` stamped in ``[start, end)``, of batches before ``before``."""
        mark = "?" if self.dialect == "sqlite" else "%s"
        # Only our own table and column names go into the text; values are bound parameters.
        where = (
            f"token_key = {mark} AND stamp >= {mark} AND stamp < {mark} AND increment > 0 AND batch < {mark}"
        )
        sql = f"SELECT batch, position, stamp, increment FROM {self._table('readings')} WHERE {where}"  # noqa: S608
        with self.engine.connect() as conn:
            key = self.tokens.key(conn, token)
            if key is None:
                return []  # no reading of that token was ever stored
            # The driver's own cursor and tuples, no Row objects: an invoice may read 100,000 and more.
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(sql, (key, start, end, before))
                rows: list[Increment] = cursor.fetchall()
                return rows
            finally:
                cursor.close()

    def batch_messages(self, index: int) -> list[bytes]:
        """The messages of the batch anchored by entry ``index``, in leaf order (stored once, here)."""
        t = readings_table
        query = select(t.c.position, t.c.message).where(t.c.batch == index).order_by(t.c.position)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        if [r.position for r in rows] != list(range(len(rows))):
            raise BackendError(f"the stored messages of batch {index} are not positions 0..{len(rows) - 1}")
        return [bytes(r.message) for r in rows]

    def reading(self, batch: int, position: int) -> Mapping[str, Any] | None:
        """One stored message of a batch."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(readings_table).where(
                    readings_table.c.batch == batch, readings_table.c.position == position
                )
            ).first()
            return None if row is None else _served(self._decoded(conn, row._mapping))

    def _decoded(self, conn: Connection, stored: Mapping[Any, Any]) -> dict[str, Any]:
        """A stored reading row as the ledger wrote it."""
        return reading_rows.decode(stored, lambda key: self.tokens.token(conn, key))

    def readings(
        self,
        *,
        device: str | None = None,
        token: str | None = None,
        since: int | None = None,
        until: int | None = None,
        status: str | None = None,
        limit: int = 100,
        tokens: Sequence[str] = (),
        after: tuple[int, int, int] | None = None,
        newest_first: bool = False,
    ) -> Sequence[Mapping[str, Any]]:
        """Stored messages filtered by device, token, stamp range ``[since, until)`` and status.

        There is no index by device: a device's messages carry the token it was bound to (or ``""``
        before any binding), so a caller asking by device names those ``tokens`` and the query
        walks the (token, stamp) index. The rows come in (stamp, batch, position) order, or its
        reverse with ``newest_first`` (the same index, walked backwards); ``after`` resumes past
        such a key in the order asked for.
        """
        if tokens:
            # One indexed query per token, merged: an IN over the tokens could not use the indexes.
            found = [
                row
                for one in tokens
                for row in self.readings(
                    device=device,
                    token=one,
                    since=since,
                    until=until,
                    status=status,
                    limit=limit,
                    after=after,
                    newest_first=newest_first,
                )
            ]
            found.sort(key=lambda r: (r["stamp"], r["batch"], r["position"]), reverse=newest_first)
            return found[:limit]
        t = readings_table
        query = select(t)
        if since is not None:
            query = query.where(t.c.stamp >= since)
        if until is not None:
            query = query.where(t.c.stamp < until)
        key = tuple_(t.c.stamp, t.c.batch, t.c.position)
        # The stamp bound alone lets the (token, stamp) index find the start.
        if after is not None and newest_first:
            query = query.where(t.c.stamp <= after[0], key < after)
        elif after is not None:
            query = query.where(t.c.stamp >= after[0], key > after)
        order = (t.c.stamp, t.c.batch, t.c.position)
        query = query.order_by(*(c.desc() for c in order) if newest_first else order).limit(limit)
        with self.engine.connect() as conn:
            stored = self._stored_filters(conn, device, token, status)
            if stored is None:
                return []  # a value no stored row holds
            rows = conn.execute(query.where(*stored)).all()
            return [_served(self._decoded(conn, r._mapping)) for r in rows]

    def _stored_filters(
        self, conn: Connection, device: str | None, token: str | None, status: str | None
    ) -> list[ColumnElement[bool]] | None:
        """The conditions on stored columns that select ``device``, ``token`` and ``status`` (None:
        any); None when one of them names a value no stored row can hold."""
        t, found = readings_table, []
        if device is not None:
            raw = reading_rows.device_bytes(device)
            if raw is None:
                return None
            found.append(t.c.device == raw)
        if token is not None:
            key = self.tokens.key(conn, token)
            if key is None:
                return None
            # The empty token's key as a literal: a plan prepared for any value of a bound
            # parameter (PostgreSQL's generic plans) could not use the partial index on it.
            found.append(t.c.token_key == (literal_column(str(UNBOUND)) if key == UNBOUND else key))
        if status == reading_rows.VERIFIED:
            found.append(t.c.reason.is_(None))
        elif status == reading_rows.DUPLICATE:
            found.append(t.c.reason == "")
        elif status == reading_rows.REJECTED:
            found.append(t.c.reason != "")  # NULL (verified) is not selected by != either
        elif status is not None:
            return None
        return found
