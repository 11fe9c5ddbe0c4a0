"""A local anvil node (npm ``@foundry-rs/anvil``) on a free port, for tests, the bench and the demo."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from bridge.errors import BridgeError
from chain_client.evm import ChainError, Rpc
from harness.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
CHAIN_ID = 31337
# anvil's default accounts (the mnemonic "test test … junk"): keys every Foundry user knows.
KEYS = (
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
)


def binary() -> Path:
    """The anvil executable: ``$LEASECHAIN_ANVIL``, the npm package's for this platform, or on PATH."""
    if os.environ.get("LEASECHAIN_ANVIL"):
        return Path(os.environ["LEASECHAIN_ANVIL"])
    found = sorted((ROOT / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil"))
    on_path = shutil.which("anvil")
    if found:
        return found[0]
    if on_path:
        return Path(on_path)
    raise FileNotFoundError("anvil is not installed: run `npm ci` (package.json pins @foundry-rs/anvil)")


class Anvil:
    """``anvil`` on a free port; its state survives :meth:`stop` and :meth:`start` through a state file."""

    def __init__(self, workdir: Path, *, block_time: float | None = None, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state = workdir / "anvil-state.json"
        self.log = workdir / "anvil.log"
        self.block_time = block_time
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start anvil (from the state file, if one was written) and wait until it answers."""
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
        # The executable is the pinned npm package's (or the one the operator named).
        log = self.log.open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + 30
        while True:
            try:
                self.rpc("eth_chainId")
                return
            except ChainError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise BridgeError(f"anvil did not start: {self.log.read_text()[-2000:]}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop anvil; it writes its state file first."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # anvil writes its state file on SIGTERM
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def rpc(self, method: str, *params: Any) -> Any:  # noqa: ANN401 - the node's JSON result
        """One JSON-RPC call (anvil's own methods included)."""
        with Rpc(self.url) as rpc:
            return rpc.request(method, list(params))

    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` empty blocks at once."""
        self.rpc("anvil_mine", hex(blocks))
