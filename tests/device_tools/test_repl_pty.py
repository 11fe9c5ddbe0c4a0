"""The board behind the pty answers mpremote exactly as an ESP32 on a USB serial port does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial
from mpremote.transport import TransportExecError
from mpremote.transport_serial import SerialTransport

from harness.repl_pty import ReplBoard

pytestmark = pytest.mark.micropython


def _read_until(port: serial.Serial, marker: bytes, timeout: float = 10.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data and time.monotonic() < deadline:
        data += port.read(port.in_waiting or 1)
    return data


def test_mpremote_runs_code_in_raw_paste_mode_and_files_survive_a_power_cycle(tmp_path: Path) -> None:
    board = ReplBoard(tmp_path / "flash")
    board.start()
    try:
        link = SerialTransport(board.port)
        link.enter_raw_repl(soft_reset=False)
        assert link.eval("1 + 2") == 3
        assert link.use_raw_paste, "the board should have accepted raw-paste mode"
        assert b"R\x01" in board.received()  # raw-paste acknowledged, as MicroPython >= 1.14 does
        link.fs_mkdir("notes")
        link.fs_writefile("notes/a.bin", bytes(range(256)) * 20)
        assert link.fs_readfile("notes/a.bin") == bytes(range(256)) * 20
        with pytest.raises(TransportExecError, match="ZeroDivisionError"):
            link.exec("1/0")
        link.close()
    finally:
        board.stop()
    assert (tmp_path / "flash" / "notes" / "a.bin").read_bytes() == bytes(range(256)) * 20
    board.restart()
    try:
        link = SerialTransport(board.port)
        link.enter_raw_repl(soft_reset=False)
        assert link.eval("len(open('notes/a.bin', 'rb').read())") == 5120
        link.fs_rmfile("notes/a.bin")
        link.close()
    finally:
        board.stop()
    assert not (tmp_path / "flash" / "notes" / "a.bin").exists()


def test_soft_reset_reruns_boot_py_and_keeps_files(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "boot.py").write_text("print('boot ran')\n")
    with ReplBoard(flash) as board:
        link = SerialTransport(board.port)
        link.enter_raw_repl(soft_reset=True)  # Ctrl-D in the raw REPL: "soft reboot", boot.py, raw REPL again
        link.exec("x = 1")
        link.exit_raw_repl()
        link.enter_raw_repl(soft_reset=True)
        with pytest.raises(TransportExecError, match="NameError"):
            link.exec("x")  # a soft reset clears the heap
        assert link.eval("'boot.py' in __import__('os').listdir('/')") is True
        link.close()
        assert board.received().count(b"MPY: soft reboot\r\nboot ran") == 2


def test_friendly_repl_echoes_and_evaluates_like_a_terminal_session(tmp_path: Path) -> None:
    with ReplBoard(tmp_path / "flash") as board:
        port = serial.Serial(board.port, 115200, timeout=0.2)
        port.write(b"\r\n")
        _read_until(port, b">>> ")
        port.write(b"6 * 7\r")
        answer = _read_until(port, b">>> ")
        port.close()
    assert b"6 * 7\r\n42\r\n>>> " in answer.replace(b"42\n", b"42\r\n")


def test_os_urandom_comes_from_the_host_csprng(tmp_path: Path) -> None:
    with ReplBoard(tmp_path / "flash") as board:
        link = SerialTransport(board.port)
        link.enter_raw_repl(soft_reset=False)
        first = link.eval("__import__('os').urandom(32)")
        second = link.eval("__import__('os').urandom(32)")
        link.close()
    assert len(first) == len(second) == 32
    assert first != second
    assert len(set(first)) > 8


def test_rtc_unset_board_reads_year_2000_until_its_clock_is_set(tmp_path: Path) -> None:
    with ReplBoard(tmp_path / "flash", rtc_unset=True) as board:
        link = SerialTransport(board.port)
        link.enter_raw_repl(soft_reset=False)
        assert link.eval("__import__('time').gmtime(int(__import__('time').time()))[0]") == 2000
        link.exec("import machine\nmachine.RTC().datetime((2026, 3, 1, 6, 12, 0, 0, 0))")
        assert link.eval("__import__('time').gmtime(int(__import__('time').time()))[:3]") == (2026, 3, 1)
        link.close()


def test_reset_button_runs_main_py(tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    flash.mkdir()
    (flash / "main.py").write_text("print('main ran')\n")
    with ReplBoard(flash, run_main=True) as board:
        port = serial.Serial(board.port, 115200, timeout=0.2)
        assert board.process is not None
        os.kill(board.process.pid, signal.SIGUSR1)
        seen = _read_until(port, b">>> ")
        port.close()
    assert b"main ran" in seen
    assert b"MicroPython v" in seen


def test_the_mpremote_command_itself_works_on_the_pty(tmp_path: Path) -> None:
    mpremote = Path(sys.executable).with_name("mpremote")
    with ReplBoard(tmp_path / "flash") as board:
        run = subprocess.run(
            [
                str(mpremote),
                "connect",
                board.port,
                "exec",
                "print(6 * 7)",
                "fs",
                "touch",
                ":hello",
                "fs",
                "ls",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 0, run.stderr
    assert "42" in run.stdout
    assert "hello" in run.stdout
    assert (tmp_path / "flash" / "hello").exists()
