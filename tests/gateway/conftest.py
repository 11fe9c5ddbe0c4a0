"""Fixtures of the gateway tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.mosquitto import Mosquitto


@pytest.fixture
def persistent_broker() -> Iterator[Mosquitto]:
    """A private Mosquitto that can write its persistence file, so sessions survive a restart.

    Started as root, Mosquitto drops to the ``mosquitto`` user; pytest's
    temporary directories are root-only, so the broker of the shared
    ``mosquitto`` fixture cannot save its state there.  This one lives in a
    directory that user can write.
    """
    workdir = Path(tempfile.mkdtemp(prefix="leasechain-broker-"))
    workdir.chmod(0o777)
    broker = Mosquitto(workdir / "mosquitto")
    broker.workdir.chmod(0o777)
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()
        shutil.rmtree(workdir, ignore_errors=True)
