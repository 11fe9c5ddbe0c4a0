"""Fixtures of the explorer tests: a backend holding one whole lease, and the explorer process over it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.ports import free_port, wait_for_port
from tests.cli.story import Story, tell
from tests.gateway.ledger_backend import LedgerBackend


@dataclass
class Explorer:
    """A running ``leasechain-explorer`` and the story on the ledger it explores."""

    url: str
    story: Story
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="session")
def explorer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Explorer]:
    """``python -m explorer`` on a free port, over a backend on which a whole lease was told."""
    backend = LedgerBackend(tmp_path_factory.mktemp("explorer-ledger"))
    backend.start()
    workdir = tmp_path_factory.mktemp("explorer")
    process: subprocess.Popen[bytes] | None = None
    try:
        story = tell(backend, workdir)
        port = free_port()
        log = workdir / "explorer.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "explorer", "--ledger", backend.url, "--port", str(port)],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port("127.0.0.1", port, timeout=30)
        yield Explorer(f"http://127.0.0.1:{port}", story, process, log)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        backend.kill()
