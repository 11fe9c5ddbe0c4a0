"""Run device-side test scripts under the real MicroPython interpreter (or CPython) and read their result.

A test hands a script (the device side, written in the MicroPython subset)
and a JSON-able input; the script imports ``mptest`` (``tests/firmware/onboard``)
to read the input and print its result as JSON.  Bytes cross the
boundary as hex.  The same script runs under CPython with ``firmware/`` on
its path, as the fleet simulator imports the device modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness.micropython import REPO, MicroPython

DEVICE_DIR = Path(__file__).resolve().parent / "onboard"
# Stand-ins for the board's own modules (machine, network, esp32, ntptime, umqtt),
# on the path only for tests of leasechain/board.py.
HARDWARE_DIR = DEVICE_DIR / "hardware"
MARKER = "@@"


class DeviceScriptError(AssertionError):
    """The device script failed; the message carries its stderr."""


def _result(proc: subprocess.CompletedProcess[str], expect_status: int) -> Any:
    if proc.returncode != expect_status:
        raise DeviceScriptError(
            f"device script exited {proc.returncode}, expected {expect_status}\n"
            f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
        )
    # The last complete block of "@@<", "@@+chunk"..., "@@>" lines (tests/firmware/onboard/mptest.py).
    text: list[str] | None = None
    block: list[str] = []
    for line in proc.stdout.splitlines():
        if line == MARKER + "<":
            block = []
        elif line.startswith(MARKER + "+"):
            block.append(line[len(MARKER) + 1 :])
        elif line == MARKER + ">":
            text = block
    return json.loads("".join(text)) if text is not None else None


def _prepare(tmp: Path, source: str, data: Any) -> Path:
    script = tmp / "main_test.py"
    script.write_text(source)
    # Raw UTF-8: MicroPython's json does not join \\u surrogate pairs into one character.
    (tmp / "input.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return script


def run_mp(
    micropython: MicroPython,
    source: str,
    data: Any = None,
    *,
    flash: Path | None = None,
    expect_status: int = 0,
    heap: int | None = None,
    hardware: bool = False,
) -> Any:
    """Run ``source`` under MicroPython with ``data`` as its input; return what it emitted.

    ``hardware`` puts the stand-ins for ``machine``, ``network`` and friends on the path.
    """
    paths = (DEVICE_DIR, HARDWARE_DIR) if hardware else (DEVICE_DIR,)
    with tempfile.TemporaryDirectory(prefix="mpy-dev-") as tmp:
        script = _prepare(Path(tmp), source, data)
        proc = micropython.run(script, flash=flash, heap=heap, paths=paths, timeout=240)
    return _result(proc, expect_status)


def run_cpython(
    source: str,
    data: Any = None,
    *,
    flash: Path,
    expect_status: int = 0,
) -> Any:
    """Run ``source`` under CPython, ``flash`` as working directory, device code on the path."""
    flash.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cpy-dev-") as tmp:
        script = _prepare(Path(tmp), source, data)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "firmware"), str(DEVICE_DIR)])
        proc = subprocess.run(
            [sys.executable, str(script)],
            cwd=flash,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    return _result(proc, expect_status)
