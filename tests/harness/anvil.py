"""A private anvil node (npm ``@foundry-rs/anvil``) on a free port, which a test may stop and start again."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.harness.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CHAIN_ID = 31337
# anvil's default accounts (the mnemonic "test test … junk"): keys every Foundry user knows.
KEYS = (
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
)


def binary() -> Path:
    """The anvil executable the npm package installed for this platform."""
    found = sorted((ROOT / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil"))
    if not found:
        raise FileNotFoundError("anvil is not installed: run `npm ci` (package.json pins @foundry-rs/anvil)")
    return found[0]


class Anvil:
    """``anvil`` on a free port; its state survives :meth:`stop` and :meth:`start` through a state file."""

    def __init__(self, workdir: Path, *, block_time: float | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = workdir / "anvil-state.json"
        self.log = workdir / "anvil.log"
        self.block_time = block_time
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [
            str(binary()),
            "--port",
            str(self.port),
            "--chain-id",
            str(CHAIN_ID),
            "--state",
            str(self.state),
        ]
        if self.block_time is not None:
            args += ["--block-time", str(self.block_time)]
        self.process = subprocess.Popen(args, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.rpc("eth_chainId")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(self.log.read_text()[-2000:]) from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # anvil writes its state file on SIGTERM
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def rpc(self, method: str, *params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", hex(blocks))
