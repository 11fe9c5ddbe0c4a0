"""Fixtures of the CLI tests: a backend process, and one whole lease told through the CLI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.story import Story, tell
from tests.gateway.ledger_backend import LedgerBackend


@pytest.fixture(scope="session")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    """A backend on which a whole lease was run through the CLI (once for the session)."""
    backend = LedgerBackend(tmp_path_factory.mktemp("story-ledger"))
    backend.start()
    try:
        yield tell(backend, tmp_path_factory.mktemp("story"))
    finally:
        backend.kill()
