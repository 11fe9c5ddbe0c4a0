"""Fixtures shared by the whole suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
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


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built from a copy of the tracked files.

    A copy: an in-tree build/ left by an earlier build would otherwise hide a file the
    package list forgets.
    """
    repo = Path(__file__).resolve().parents[1]
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=repo, check=True, capture_output=True).stdout
    for name in tracked.decode().split("\0"):
        if name and (repo / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo / name, source / name)
    out = root / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("leasechain-*.whl")
    return built
