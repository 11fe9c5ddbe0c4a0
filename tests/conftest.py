"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.micropython import MicroPython
from harness.mosquitto import Mosquitto
from harness.ports import PORTS_ENV, block


def pytest_configure(config: pytest.Config) -> None:
    """On a parallel worker (pytest-xdist), servers' ports come from a range of this worker's own.

    Set in the environment, so the programs the tests start (the demo, the simulator's site) pick
    from it too: no two workers can be handed the same port between picking it and listening on it.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ...
    if worker is not None:
        count = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
        os.environ[PORTS_ENV] = block(int(worker.removeprefix("gw")), count)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On parallel workers, the tests marked ``slow`` go first.

    Workers take tests in this order, so the long ones (the demo, an extra's install) start while
    many short ones are left to fill the gaps: the run no longer ends on one worker finishing a
    long test that it took last while the others sit idle.  Every worker sorts alike (a stable
    sort), as pytest-xdist requires; a run in one process keeps the files' order.
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is not None:
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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
