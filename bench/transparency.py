"""Benchmark of the transparency log; prints JSON.

* **Tile reads and bytes per inclusion proof**, for logs of several sizes: a reader holding only
  a checkpoint fetches tiles (``TileTree``) and computes the proof itself; the baseline, measured
  in the same run, is the proof as the JSON API serves it (``/v1/log/proof/inclusion``: one
  request, the audit path in hex) and the bare RFC 9162 path (32 bytes a hash).
* **Checkpoint latency**: from a transaction's acceptance until ``GET /checkpoint`` shows its tree
  size, for a backend with three ``leasechain-witness`` processes on localhost (quorum: all three)
  against the same backend without witnesses (the baseline).

Run: ``python -m bench.transparency [--sizes 1000,70000,1000000] [--rounds 20]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from backend import tiles
from backend.tree import MerkleTree
from bench.ledger import key
from chain_client import merkle
from chain_client.ledger import sign
from chain_client.tlog import log_verifier, note, parse_text
from chain_client.tlog.tiles import TileTree, parse_tile_path
from harness.ports import free_port


def proof_costs(size: int, samples: int = 64) -> dict[str, Any]:
    """Tile reads and bytes of ``samples`` inclusion proofs spread over a log of ``size`` entries."""
    tree = MerkleTree()
    for i in range(size):
        tree.append(merkle.leaf_hash(i.to_bytes(8, "big")))
    root = tree.root()

    def fetch(path: str) -> bytes:
        level, index, width = parse_tile_path(path.removeprefix("tile/"))
        assert level is not None
        return tiles.tile(tree, level, index, width)

    reads, sizes, json_bytes, path_bytes = [], [], [], []
    for n in range(samples):
        index = n * (size - 1) // max(1, samples - 1)
        reader = TileTree(fetch, size)
        fetched = 0

        def counting(path: str) -> bytes:
            nonlocal fetched
            data = fetch(path)
            fetched += len(data)
            return data

        reader.fetch = counting
        proof = reader.inclusion_proof(index)
        merkle.verify_inclusion(tree.leaf(index), index, size, proof, root)
        reads.append(len(reader.reads))
        sizes.append(fetched)
        answer = {"leaf_index": index, "tree_size": size, "audit_path": [p.hex() for p in proof]}
        json_bytes.append(len(json.dumps(answer)))
        path_bytes.append(32 * len(proof))
    return {
        "entries": size,
        "tile_reads": {"mean": round(statistics.mean(reads), 2), "max": max(reads)},
        "tile_bytes": {"mean": round(statistics.mean(sizes)), "max": max(sizes)},
        "baseline_json_api": {"requests": 1, "bytes_mean": round(statistics.mean(json_bytes))},
        "baseline_rfc9162_path_bytes_mean": round(statistics.mean(path_bytes)),
    }


def _script(name: str) -> str:
    return shutil.which(name) or str(Path(sys.executable).with_name(name))


def _wait_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"nothing listens on port {port}") from None
            time.sleep(0.05)


def _start(args: list[str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_port(port, process)
    return process


def _witnesses(tmp: Path, vkey: str, count: int) -> tuple[list[subprocess.Popen[bytes]], str]:
    processes, lines = [], [f"log {vkey}"]
    for i in range(count):
        data = tmp / f"witness{i}"
        name = f"w{i}.bench.example/witness"
        out = subprocess.run(
            [_script("leasechain-witness"), "init", "--data-dir", str(data), "--name", name],
            capture_output=True,
            check=True,
        )
        port = free_port()
        args = [_script("leasechain-witness"), "serve", "--data-dir", str(data), "--port", str(port)]
        processes.append(_start([*args, "--log", vkey], port))
        lines.append(f"witness w{i} {json.loads(out.stdout)['vkey']} http://127.0.0.1:{port}")
    names = " ".join(f"w{i}" for i in range(count))
    return processes, "\n".join([*lines, f"group all {count} {names}", "quorum all"]) + "\n"


def _checkpoint_size(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/checkpoint", timeout=10) as response:
            return parse_text(note.parse(response.read()).text).size
    except urllib.error.HTTPError:
        return -1


def latency(tmp: Path, witnesses: int, rounds: int) -> dict[str, Any]:
    """Seconds from an accepted transaction to a ``/checkpoint`` of its size."""
    op = key("operator")
    data = tmp / f"ledger-{witnesses}"
    data.mkdir()
    (data / "op.key").write_text(bytes(op).hex())
    origin = "bench.example/leasechain"
    vkey = log_verifier(origin, bytes(op.verify_key)).vkey()
    processes: list[subprocess.Popen[bytes]] = []
    port = free_port()
    args = [_script("leasechain-backend"), "serve", "--data-dir", str(data), "--port", str(port)]
    args += ["--key", str(data / "op.key"), "--origin", origin]
    if witnesses:
        processes, policy = _witnesses(tmp / f"w-{witnesses}", vkey, witnesses)
        (tmp / f"policy-{witnesses}").write_text(policy)
        args += ["--witness-policy", str(tmp / f"policy-{witnesses}")]
    processes.append(_start(args, port))
    url = f"http://127.0.0.1:{port}"
    seconds = []
    try:
        for r in range(rounds):
            party = key(f"bench-party-{r}")
            body = sign(
                "register_enterprise",
                f"reg-{r}",
                {"name": f"P{r}", "roles": ["investor"], "info": {}},
                party,
                ledger=bytes(op.verify_key),
            )
            request = urllib.request.Request(
                url + "/v1/transactions", data=body, headers={"Content-Type": "application/cbor"}
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                size = json.loads(response.read())["index"] + 1
            while _checkpoint_size(url) < size:
                time.sleep(0.002)
            seconds.append(time.perf_counter() - started)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
    ms = sorted(1000 * s for s in seconds)
    return {
        "witnesses": witnesses,
        "rounds": rounds,
        "median_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
        "max_ms": round(ms[-1], 1),
    }


def main() -> None:
    """Run both measurements and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,70000,1000000", help="log sizes, comma-separated")
    parser.add_argument("--rounds", type=int, default=20, help="transactions timed per latency run")
    args = parser.parse_args()
    proofs = [proof_costs(int(s)) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        baseline = latency(Path(tmp), 0, args.rounds)
        witnessed = latency(Path(tmp), 3, args.rounds)
    print(
        json.dumps(
            {
                "inclusion_proof": proofs,
                "checkpoint_latency": {"no_witnesses": baseline, "three_witnesses": witnessed},
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
