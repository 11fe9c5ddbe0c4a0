"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.micropython import MicroPython
from harness.mosquitto import Mosquitto


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A private, running Mosquitto on a free port; stopped after the test."""
    broker = Mosquitto(tmp_path / "mosquitto")
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


@pytest.fixture(scope="session")
def micropython() -> MicroPython:
    """Runner for code under the real MicroPython interpreter, ``firmware/`` on its path."""
    return MicroPython()
