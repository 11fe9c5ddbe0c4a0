"""Fixtures of the SDK tests: a real ledger backend process shared by a module's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway.ledger_backend import LedgerBackend


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerBackend]:
    """``leasechain-backend serve`` on a free port; tests use keys of their own, so they may share it."""
    server = LedgerBackend(tmp_path_factory.mktemp("ledger"))
    server.start()
    try:
        yield server
    finally:
        server.kill()
