"""The device code type-checks against micropython-esp32-stubs (firmware/tools/typecheck.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.tools import typecheck
from harness.micropython import REPO


def test_device_code_type_checks_against_the_esp32_stubs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "firmware.tools.typecheck"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_a_call_the_esp32_does_not_have_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "firmware"
    shutil.copytree(REPO / "firmware", copy, ignore=shutil.ignore_patterns("__pycache__", "*.bin"))
    board = copy / "leasechain" / "board.py"
    # machine.Pin has no .toggle_fast(), and esp32.mcu_temperature() takes no argument.
    board.write_text(
        board.read_text()
        + "\n\ndef _broken():\n    from machine import Pin\n    import esp32\n"
        + "    Pin(2).toggle_fast()\n    esp32.mcu_temperature(1)\n"
    )
    assert typecheck.run(firmware=copy) == 1
    out = capsys.readouterr().out
    assert "firmware/leasechain/board.py" in out
    assert "toggle_fast" in out
