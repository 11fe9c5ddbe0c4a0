"""Test helpers: a small log that signs checkpoints, and witness processes on free ports."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
from nacl.signing import SigningKey

from chain_client import merkle
from chain_client.tlog import Checkpoint, log_verifier, sign_checkpoint
from chain_client.tlog.note import VerifierKey
from chain_client.tlog.witness import AddCheckpoint
from harness.ports import free_port

ORIGIN = "ledger.example.com/leasechain"


class Log:
    """A log in memory: its entries, its key, its signed checkpoints and consistency proofs."""

    def __init__(self, seed: str = "witness test log", origin: str = ORIGIN) -> None:
        self.key = SigningKey(hashlib.sha256(seed.encode()).digest())
        self.origin = origin
        self.hashes: list[bytes] = []

    @property
    def vkey(self) -> VerifierKey:
        return log_verifier(self.origin, bytes(self.key.verify_key))

    def grow(self, n: int, tag: str = "") -> None:
        for _ in range(n):
            self.hashes.append(merkle.leaf_hash(f"{tag}entry {len(self.hashes)}".encode()))

    def checkpoint(self, size: int | None = None) -> bytes:
        size = len(self.hashes) if size is None else size
        root = merkle.root_from_leaf_hashes(self.hashes[:size])
        return sign_checkpoint(Checkpoint(self.origin, size, root), self.key).encode()

    def proof(self, old: int, size: int | None = None) -> list[bytes]:
        size = len(self.hashes) if size is None else size
        if old in (0, size):
            return []
        return merkle.consistency_proof(self.hashes[:size], old)

    def request(self, old: int, size: int | None = None) -> bytes:
        return AddCheckpoint(old, tuple(self.proof(old, size)), self.checkpoint(size)).encode()


def script(name: str) -> list[str]:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    return [found]


def wait_port(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Wait until ``process`` itself listens on ``port``: a port that answers is not enough, another
    process may hold it (the witness started here then exits, unable to bind, and its log says so)."""
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        if _listens(process.pid, port):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {process.pid} does not listen on {port}")
        time.sleep(0.05)


def _listens(pid: int, port: int) -> bool:
    try:
        sockets = psutil.Process(pid).net_connections("tcp")
    except psutil.NoSuchProcess:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in sockets)


class OurWitness:
    """``leasechain-witness serve`` on a free port, with its own data directory."""

    def __init__(self, data_dir: Path, name: str, logs: list[VerifierKey], *extra: str) -> None:
        self.data_dir = data_dir
        self.extra = list(extra)
        out = subprocess.run(
            [*script("leasechain-witness"), "init", "--data-dir", str(data_dir), "--name", name],
            check=True,
            capture_output=True,
            timeout=30,
        )
        self.vkey = json.loads(out.stdout)["vkey"]
        self.name = name
        self.logs = logs
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [*script("leasechain-witness"), "serve", "--data-dir", str(self.data_dir)]
        args += ["--port", str(self.port), *self.extra]
        for log in self.logs:
            args += ["--log", log.vkey()]
        out = (self.data_dir / "witness.log").open("ab")
        self.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=dict(os.environ))
        wait_port(self.process, self.port, self.data_dir / "witness.log")

    def stop(self, kill: bool = False) -> None:
        if self.process is not None and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(timeout=20)


class TheirWitness:
    """aics-witness (PyPI, not ours) on a free port: init, trust the log, serve."""

    def __init__(self, data_dir: Path, name: str, logs: list[VerifierKey]) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.env = {**os.environ, "AICS_WITNESS_CONFIG": str(data_dir / "witness.json")}
        self.env.pop("WITNESS_SEED_HEX", None)
        out = self._run("init", "--name", name)
        self.vkey = next(w for w in out.split() if w.startswith(name + "+"))
        for log in logs:
            self._run("add-log", "--origin", log.name, "--vkey", log.vkey())
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def _run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "aics_witness", *args],
            capture_output=True,
            env=self.env,
            timeout=30,
            check=True,
        )
        return done.stdout.decode() + done.stderr.decode()

    def start(self) -> None:
        out = (self.data_dir / "witness.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aics_witness", "serve", "--listen", f"127.0.0.1:{self.port}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        wait_port(self.process, self.port, self.data_dir / "witness.log")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
