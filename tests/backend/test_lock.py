"""The writer lock: a second holder of the same database is refused, naming it."""

from __future__ import annotations

import uuid

import pytest

from backend import lock
from backend.errors import DatabaseInUseError
from backend.storage import Storage
from tests.backend.conftest import PG_URL


def _storage(spec: tuple[str, str | None]) -> Storage:
    url, schema = spec
    return Storage(url, schema=schema)


def test_a_second_writer_is_refused_until_the_first_releases(storage_spec: tuple[str, str | None]) -> None:
    first, second = _storage(storage_spec), _storage(storage_spec)
    held = lock.acquire(first)
    try:
        with pytest.raises(DatabaseInUseError) as refused:
            lock.acquire(second)
        message = str(refused.value)
        assert second.name in message
        assert "in use by another leasechain-backend" in message
        # The holder's process is named, so an operator knows what to stop.
        path = first.sqlite_path
        if path is not None:
            assert "pid " in message
            assert str(path) + ".lock" in message
        else:
            assert "server process" in message
            assert "unknown" not in message
    finally:
        held.release()
    with lock.held(second):
        pass
    first.close()
    second.close()


def test_another_schema_is_another_database(pg_available: bool) -> None:
    assert pg_available, f"PostgreSQL is not reachable at {PG_URL}"
    schema = f"lc_test_{uuid.uuid4().hex[:12]}"
    with lock.held(Storage(PG_URL, schema=schema)), lock.held(Storage(PG_URL, schema=schema + "_b")):
        pass


def test_the_advisory_key_depends_on_the_schema_only() -> None:
    assert lock.advisory_key("a") == lock.advisory_key("a")
    assert lock.advisory_key("a") != lock.advisory_key("b")
    assert -(2**63) <= lock.advisory_key(None) < 2**63
