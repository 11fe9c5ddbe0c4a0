"""Boards behind pseudo-terminals, a firmware source with a dependency from a local mip index, and the CLI.

Flashing takes a couple of seconds, so one board is flashed once per session
into a template flash directory; each test then starts its own board on a
copy of it (``make_board(flashed=True)``), as if it took a freshly flashed
ESP32 out of the box.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from firmware.tools.device import deploy
from firmware.tools.device.cli import main
from firmware.tools.device.link import Board
from harness.repl_pty import ReplBoard

REPO = Path(__file__).resolve().parents[2]
DEP_NAME = "lc-testdep"
DEP_FILE = "lc_testdep.py"
DEP_SOURCE = b"# A package served by the test's own mip index.\nVALUE = 42\n"


@dataclass(frozen=True)
class Source:
    """A firmware directory whose package.json depends on a package of a local index."""

    firmware: Path
    index: Path


def write_index(index: Path, name: str, files: dict[str, bytes]) -> None:
    """Lay out a micropython-lib style index with one package of ``files``."""
    hashes = []
    for path, data in files.items():
        short = hashlib.sha256(data).hexdigest()[:8]
        blob = index / "file" / short[:2] / short
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        hashes.append([path, short])
    package = index / "package" / "py" / name / "latest.json"
    package.parent.mkdir(parents=True, exist_ok=True)
    package.write_text(json.dumps({"hashes": hashes, "version": "1.0"}))


@pytest.fixture(scope="session")
def source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    """The shipped firmware, with its umqtt.simple dependency swapped for one the test can serve offline."""
    root = tmp_path_factory.mktemp("source")
    firmware = root / "firmware"
    firmware.mkdir()
    for name in ("boot.py", "main.py", "lcboot.py", "package.json"):
        shutil.copy2(REPO / "firmware" / name, firmware / name)
    shutil.copytree(
        REPO / "firmware" / "leasechain",
        firmware / "leasechain",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    manifest = json.loads((firmware / "package.json").read_text())
    manifest["deps"] = [[DEP_NAME, "latest"]]
    (firmware / "package.json").write_text(json.dumps(manifest, indent=2))
    index = root / "index"
    write_index(index, DEP_NAME, {DEP_FILE: DEP_SOURCE})
    return Source(firmware, index)


@pytest.fixture(scope="session")
def flashed_template(tmp_path_factory: pytest.TempPathFactory, source: Source) -> Path:
    """A board's flash right after ``flash``: firmware and dependency, no config, no key."""
    flash = tmp_path_factory.mktemp("template") / "flash"
    board = ReplBoard(flash, record=False)
    board.start()
    try:
        with Board(board.port) as link:
            deploy.flash(link, source.firmware, str(source.index))
    finally:
        board.stop()
    return flash


BoardFactory = Callable[..., ReplBoard]


@pytest.fixture
def make_board(tmp_path: Path, flashed_template: Path) -> Iterator[BoardFactory]:
    """``make_board(flashed=True, rtc_unset=False, run_main=False, name="board")``: a running board."""
    boards: list[ReplBoard] = []

    def make(
        flashed: bool = True, rtc_unset: bool = False, run_main: bool = False, name: str = "board"
    ) -> ReplBoard:
        flash = tmp_path / name / "flash"
        if flashed and not flash.exists():
            shutil.copytree(flashed_template, flash)
        board = ReplBoard(flash, rtc_unset=rtc_unset, run_main=run_main)
        board.start()
        boards.append(board)
        return board

    yield make
    for board in boards:
        board.stop()


@dataclass
class Run:
    """One CLI run: exit status, stdout, stderr and (with --json) the parsed output."""

    code: int
    out: str
    err: str

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.out)
        return data


CliRunner = Callable[..., Run]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, source: Source) -> CliRunner:
    """Run ``leasechain-device`` in this process; $LEASECHAIN_PORT is unset unless a test sets it."""
    monkeypatch.delenv("LEASECHAIN_PORT", raising=False)

    def run(*argv: str) -> Run:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
