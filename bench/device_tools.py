"""``leasechain-device`` over a serial line: flash, re-flash, provision and proof times.

Prints JSON.  The board is the real MicroPython interpreter behind a
pseudo-terminal (harness/repl_pty.py), so the figures are the tool's
and the REPL protocol's cost, not a UART's: a 115200-baud line adds about
87 µs per byte on a real board.  Baselines measured in the same run: the
firmware's bytes written with mpremote's own ``fs_writefile`` (one REPL
command per 256 bytes), and the tool's deploy with raw-paste mode turned
off (plain raw REPL).

    python -m bench.device_tools [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from firmware.tools.device import deploy, provisioning
from firmware.tools.device.link import Board
from harness.repl_pty import ReplBoard


class _Clock:
    """Seconds since the last ``lap()``."""

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        elapsed, self.start = now - self.start, now
        return elapsed


def _fresh(root: Path, name: str) -> ReplBoard:
    board = ReplBoard(root / name, record=False)
    board.start()
    return board


def _source(root: Path, name: str) -> Path:
    """The shipped firmware without dependencies (the index is not reachable from every bench machine)."""
    source = root / name
    source.mkdir()
    for file in ("boot.py", "main.py"):
        (source / file).write_bytes((deploy.FIRMWARE_DIR / file).read_bytes())
    (source / "leasechain").symlink_to(deploy.FIRMWARE_DIR / "leasechain")
    manifest = json.loads((deploy.FIRMWARE_DIR / "package.json").read_text())
    manifest["deps"] = []
    (source / "package.json").write_text(json.dumps(manifest))
    return source


def _round(root: Path, i: int, files: dict[str, bytes]) -> dict[str, float]:
    source = _source(root, f"src{i}")
    out: dict[str, float] = {}
    board = _fresh(root, f"a{i}")
    with Board(board.port) as link:
        clock = _Clock()
        deploy.flash(link, source)
        out["flash"] = clock.lap()
        deploy.flash(link, source)
        out["reflash"] = clock.lap()
        link.firmware("configure", json.dumps({"mqtt": {"host": "gw"}}))
        clock.lap()
        provisioning.prove(link, provisioning.ensure_key(link)["public_key"])
        out["provision"] = clock.lap()
        provisioning.prove(link)
        out["proof"] = clock.lap()
    board.stop()

    board = _fresh(root, f"b{i}")
    with Board(board.port) as link:
        link._transport.use_raw_paste = False
        clock = _Clock()
        deploy.flash(link, source)
        out["flash_raw"] = clock.lap()
    board.stop()

    board = _fresh(root, f"c{i}")
    with Board(board.port) as link:
        transport = link._transport
        made: set[str] = set()
        clock = _Clock()
        for path in sorted(files):
            for parent in deploy._parents(path):
                if parent not in made:
                    transport.fs_mkdir(parent)
                    made.add(parent)
            transport.fs_writefile(path, files[path])
        out["mpremote"] = clock.lap()
    board.stop()
    return out


def measure(rounds: int) -> dict[str, object]:
    """Median times over ``rounds`` fresh boards."""
    files = deploy.firmware_files()
    total = sum(len(d) for d in files.values())
    with tempfile.TemporaryDirectory(prefix="bench-device-") as tmp:
        results = [_round(Path(tmp), i, files) for i in range(rounds)]

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in results), 3)

    return {
        "rounds": rounds,
        "firmware_files": len(files),
        "firmware_bytes": total,
        "flash_s": median("flash"),
        "flash_kib_per_s": round(total / 1024 / median("flash"), 1),
        "baseline_flash_plain_raw_repl_s": median("flash_raw"),
        "baseline_mpremote_fs_writefile_s": median("mpremote"),
        "reflash_unchanged_s": median("reflash"),
        "provision_key_and_proof_s": median("provision"),
        "proof_round_trip_s": median("proof"),
        "line_time_at_115200_baud_s": round(total * 4 / 3 * 10 / 115200, 1),
    }


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.rounds), indent=2))


if __name__ == "__main__":
    main()
