"""Fixtures of the backend tests: storage on SQLite and on PostgreSQL, a ledger, a world, a server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from backend.ledger import Ledger
from backend.storage import Storage
from tests.backend.server import OPERATOR_KEY, Server
from tests.backend.world import Clock, World, seeded_key

PG_URL = os.environ.get("LEASECHAIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> bool:
    try:
        engine = sqlalchemy.create_engine(PG_URL)
        with engine.connect():
            pass
        engine.dispose()
    except Exception:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        return False
    return True


@pytest.fixture(scope="session")
def pg_available() -> bool:
    return _pg_available()


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_spec(
    request: pytest.FixtureRequest, tmp_path: Path, pg_available: bool
) -> Iterator[tuple[str, str | None]]:
    """(database URL, schema): a fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}", None
        return
    if not pg_available:
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}")
    schema = f"lc_test_{uuid.uuid4().hex[:12]}"
    yield PG_URL, schema
    engine = sqlalchemy.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_ledger(storage_spec: tuple[str, str | None], clock: Clock) -> Iterator[object]:
    """Factory of ledgers over the same database (to restart one)."""
    opened: list[Ledger] = []

    def make(*, workers: int = 2, **options: Any) -> Ledger:
        url, schema = storage_spec
        storage = Storage(url, schema=schema)
        ledger = Ledger(storage, seeded_key("operator"), clock=clock, verify_workers=workers, **options)
        ledger.start("Test platform", "EUR")
        opened.append(ledger)
        _read_digest_after_every_submission(ledger)
        _check_digest_on_close(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.close()


def _check_digest_on_close(ledger: Ledger) -> None:
    """The digest kept record by record (read after every submission) is the digest of the whole
    state, whatever the test did: checked when the ledger closes, by the test or at teardown (a
    closed ledger has dropped its state, and two empty states would prove nothing)."""
    close = ledger.close

    def check_and_close() -> None:
        if ledger.tree.size:
            assert ledger.digest() == ledger.state.digest()
        close()

    ledger.close = check_and_close  # type: ignore[method-assign]


def _read_digest_after_every_submission(ledger: Ledger) -> None:
    submit_many = ledger.submit_many

    def submit_and_read(raws: Any) -> Any:
        outcomes = submit_many(raws)
        ledger.digest()
        return outcomes

    ledger.submit_many = submit_and_read  # type: ignore[method-assign]


@pytest.fixture
def ledger(make_ledger: object) -> Ledger:
    assert callable(make_ledger)
    made = make_ledger()
    assert isinstance(made, Ledger)
    return made


@pytest.fixture
def world(ledger: Ledger, clock: Clock) -> World:
    return World(ledger, clock)


@pytest.fixture
def server(storage_spec: tuple[str, str | None], tmp_path: Path) -> Iterator[Server]:
    """A running ``leasechain-backend serve`` whose operator key is ``OPERATOR_KEY``."""
    key_file = tmp_path / "operator.key"
    key_file.write_text(bytes(OPERATOR_KEY).hex())
    running = Server(tmp_path / "data", key_file, storage_spec)
    running.data_dir.mkdir()
    running.start()
    try:
        yield running
    finally:
        running.stop()
