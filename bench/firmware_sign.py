"""Firmware Ed25519 (firmware/leasechain/ed25519.py): keygen, sign and verify times and heap.

Prints JSON.  The firmware's pure-Python signer runs under the real
MicroPython interpreter (scripts/micropython-run.mjs) and under CPython, each
with the packed base-point table and without it; libsodium (PyNaCl) on the same
seed and message is the baseline, measured in the same run.  The message is the
Sig_structure of a real reading (tests/vectors/protocol.json), which is what the
device signs every period.

Heap under MicroPython: this WebAssembly port collects garbage only between
top-level calls (it cannot scan the WebAssembly stack while Python code runs)
and grows its heap instead, so the heap an operation needs is exactly what it
allocates: ``heap_peak_bytes`` is the growth of ``gc.mem_alloc()`` across one
keygen, sign or verify (the largest of the three).  On an ESP32 the collector
runs inside the operation and the live peak is far lower; CPython's figure
(tracemalloc's peak) is that live set.  ``table_resident_bytes`` is what
loading the base-point table keeps on the heap.

    python -m bench.firmware_sign [--rounds N]
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey, VerifyKey

REPO = Path(__file__).resolve().parents[1]
VECTORS = REPO / "tests" / "vectors" / "protocol.json"
SIGN_TARGET_MS = 4.0
TABLE_TARGET_BYTES = 32 * 1024

DEVICE_SCRIPT = """
import gc, json, sys
from leasechain import ed25519
try:
    import js
    now = js.performance.now            # sub-millisecond clock of the WebAssembly host
except ImportError:
    import time
    now = lambda: time.ticks_us() / 1000

args = json.loads(sys.argv[1])
seed = bytes.fromhex(args["seed"])
msg = bytes.fromhex(args["message"])
rounds = args["rounds"]

def median(fn, n):
    times = []
    for _ in range(n):
        t = now()
        fn()
        times.append(now() - t)
    times.sort()
    return times[len(times) // 2], times[0]

def alloc(fn):
    gc.collect()
    before = gc.mem_alloc()
    fn()
    return gc.mem_alloc() - before

result = {}
gc.collect()
before = gc.mem_alloc()
table = ed25519.shared_table()
gc.collect()
resident = gc.mem_alloc() - before
for name, tab in (("table", table), ("no_table", b"")):
    key = ed25519.SigningKey(seed, tab)
    sig = key.sign(msg)
    pub = key.public_key
    keygen = median(lambda: ed25519.SigningKey(seed, tab), max(5, rounds // 4))
    sign = median(lambda: key.sign(msg), rounds)
    verify = median(lambda: ed25519.verify(pub, msg, sig, tab), max(5, rounds // 4))
    peak = max(alloc(lambda: ed25519.SigningKey(seed, tab)), alloc(lambda: key.sign(msg)),
               alloc(lambda: ed25519.verify(pub, msg, sig, tab)))
    result[name] = {
        "keygen_ms": keygen[0], "sign_ms": sign[0], "verify_ms": verify[0],
        "sign_min_ms": sign[1], "heap_peak_bytes": peak,
        "signature": sig.hex(), "public_key": pub.hex(),
    }
result["table"]["table_resident_bytes"] = resident
result["table"]["table_file_bytes"] = len(table)
result["no_table"]["table_resident_bytes"] = 0
print("@@" + json.dumps(result))
"""


def _median_ms(fn: Callable[[], object], n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def micropython(seed: bytes, message: bytes, rounds: int) -> dict[str, Any]:
    """Run the measurement under the MicroPython interpreter."""
    with tempfile.TemporaryDirectory(prefix="bench-mpy-") as tmp:
        script = Path(tmp) / "bench_sign.py"
        script.write_text(DEVICE_SCRIPT)
        arg = json.dumps({"seed": seed.hex(), "message": message.hex(), "rounds": rounds})
        proc = subprocess.run(
            ["node", str(REPO / "scripts" / "micropython-run.mjs"), str(script), arg],
            capture_output=True,
            text=True,
            check=True,
            timeout=1200,
        )
    line = next(line for line in proc.stdout.splitlines() if line.startswith("@@"))
    result: dict[str, Any] = json.loads(line[2:])
    return result


def _cpython_one(ed: Any, seed: bytes, message: bytes, table: bytes, rounds: int) -> dict[str, Any]:
    key = ed.SigningKey(seed, table)
    sig = key.sign(message)
    pub = key.public_key

    def keygen() -> object:
        return ed.SigningKey(seed, table)

    def sign() -> object:
        return key.sign(message)

    def verify() -> object:
        return ed.verify(pub, message, sig, table)

    few = max(5, rounds // 4)
    signing = _median_ms(sign, rounds)
    return {
        "keygen_ms": _median_ms(keygen, few)[0],
        "sign_ms": signing[0],
        "verify_ms": _median_ms(verify, few)[0],
        "sign_min_ms": signing[1],
        "heap_peak_bytes": max(_peak(keygen), _peak(sign), _peak(verify)),
        "signature": sig.hex(),
    }


def cpython(seed: bytes, message: bytes, rounds: int) -> dict[str, Any]:
    """The same code imported by CPython, as the fleet simulator does."""
    ed = importlib.import_module("firmware.leasechain.ed25519")
    return {
        "table": _cpython_one(ed, seed, message, ed.shared_table(), rounds),
        "no_table": _cpython_one(ed, seed, message, b"", rounds),
    }


def pynacl(seed: bytes, message: bytes, rounds: int) -> dict[str, Any]:
    """libsodium through PyNaCl: the baseline."""
    key = SigningKey(seed)
    sig = key.sign(message).signature
    verify_key = VerifyKey(bytes(key.verify_key))
    return {
        "keygen_ms": _median_ms(lambda: SigningKey(seed), rounds)[0],
        "sign_ms": _median_ms(lambda: key.sign(message), rounds)[0],
        "verify_ms": _median_ms(lambda: verify_key.verify(message, sig), rounds)[0],
        "signature": sig.hex(),
        "public_key": bytes(key.verify_key).hex(),
    }


def main(argv: list[str] | None = None) -> None:
    """Measure and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=201, help="timed signatures per configuration")
    args = parser.parse_args(argv)
    vectors = json.loads(VECTORS.read_text())
    seed = bytes.fromhex(vectors["seed"])
    message = bytes.fromhex(vectors["valid"][1]["to_be_signed"])
    base = pynacl(seed, message, args.rounds)
    mpy = micropython(seed, message, args.rounds)
    cpy = cpython(seed, message, args.rounds)
    identical = all(
        result[c]["signature"] == base["signature"] for result in (mpy, cpy) for c in ("table", "no_table")
    )
    for result in (mpy, cpy, base):
        for entry in (result.get("table"), result.get("no_table"), result):
            if isinstance(entry, dict):
                entry.pop("signature", None)
                entry.pop("public_key", None)
    rounded = json.loads(
        json.dumps(
            {
                "message_bytes": len(message),
                "rounds": args.rounds,
                "micropython": mpy,
                "cpython": cpy,
                "pynacl": base,
            }
        ),
        parse_float=lambda v: round(float(v), 3),
    )
    rounded["signatures_identical_to_pynacl"] = identical
    # Wall-clock medians on a shared machine rise with its load; the minimum is the uncontended figure.
    rounded["load_average_1min"] = round(os.getloadavg()[0], 2)
    rounded["micropython_sign_vs_pynacl"] = round(mpy["table"]["sign_ms"] / base["sign_ms"], 1)
    rounded["target"] = {
        "sign_ms_max": SIGN_TARGET_MS,
        "table_bytes_max": TABLE_TARGET_BYTES,
        "sign_met": mpy["table"]["sign_ms"] <= SIGN_TARGET_MS,
        "table_met": mpy["table"]["table_resident_bytes"] <= TABLE_TARGET_BYTES,
    }
    print(json.dumps(rounded, indent=2))


if __name__ == "__main__":
    main()
