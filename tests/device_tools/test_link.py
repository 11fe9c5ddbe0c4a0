"""The serial link: which port, and what a technician is told when there is no board on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tty
from pathlib import Path

import pytest
import serial

from firmware.tools.device.errors import BoardError, NoPortError
from firmware.tools.device.link import resolve_port
from tests.device_tools.conftest import BoardFactory, CliRunner


def test_port_comes_from_the_flag_then_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    device = tmp_path / "ttyACM0"
    device.touch()
    monkeypatch.setenv("LEASECHAIN_PORT", str(device))
    assert resolve_port(None) == str(device)
    assert resolve_port("rfc2217://bench:4000") == "rfc2217://bench:4000"
    monkeypatch.delenv("LEASECHAIN_PORT")
    with pytest.raises(NoPortError, match="--port"):
        resolve_port(None)
    with pytest.raises(NoPortError, match="ttyUSB7"):
        resolve_port("/dev/ttyUSB7")


def test_a_port_without_a_micropython_repl_is_a_board_error(cli: CliRunner) -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        run = cli("flash", "--port", os.ttyname(slave), "--wait", "1", "--json")
    finally:
        os.close(master)
        os.close(slave)
    assert run.code == BoardError.exit_code
    assert "no MicroPython REPL answers" in run.json["message"]
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        run = cli("doctor", "--port", os.ttyname(slave), "--wait", "1", "--json")
    finally:
        os.close(master)
        os.close(slave)
    assert run.code == BoardError.exit_code
    assert [(c["check"], c["status"]) for c in run.json["checks"][:3]] == [
        ("port", "ok"),
        ("micropython", "fail"),
        ("firmware", "skip"),
    ]


@pytest.mark.micropython
def test_a_port_held_by_another_program_is_named(make_board: BoardFactory, cli: CliRunner) -> None:
    board = make_board()
    holder = serial.Serial(board.port, exclusive=True)
    try:
        run = cli("doctor", "--port", board.port)
    finally:
        holder.close()
    assert run.code == NoPortError.exit_code
    assert board.port in run.err
    assert cli("doctor", "--port", board.port, "--broker", "mqtt://127.0.0.1:9").code != NoPortError.exit_code


def test_console_script_is_installed_and_speaks_json() -> None:
    script = shutil.which("leasechain-device", path=str(Path(sys.executable).parent))
    assert script is not None, "pip install -e . installs the leasechain-device console script"
    env = {k: v for k, v in os.environ.items() if k != "LEASECHAIN_PORT"}
    done = subprocess.run([script, "doctor", "--json"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == NoPortError.exit_code
    assert '"error": "no_port"' in done.stdout
    usage = subprocess.run([script, "flash", "--bogus"], capture_output=True, text=True, env=env, timeout=60)
    assert usage.returncode == 2
    assert "--bogus" in usage.stderr
