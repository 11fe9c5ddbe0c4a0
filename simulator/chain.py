"""The demo's EVM side (``leasechain-sim demo --chain``): anvil, the contracts and the bridge.

Anvil mines a block a second; the bridge anchors the ledger's checkpoint every few seconds with two
confirmations and mirrors the machine tokens, as it would on a real chain (docs/chain.md).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bridge.anvil import CHAIN_ID, KEYS, Anvil
from bridge.chain import Chain
from bridge.mirror import wanted
from chain_client.audit.anchors import OnChain, verify_on_chain
from chain_client.audit.bundle import Bundle
from chain_client.client import LedgerClient
from chain_client.client import models as m
from chain_client.evm import Rpc
from simulator.services import Service
from simulator.story import Cast

CONFIRMATIONS = 2
INTERVAL = 5  # seconds between anchors: a busy demo log anchors often enough to watch


class AnvilService(Service):
    """Anvil as one of the demo's services."""

    name = "anvil"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.node = Anvil(workdir, block_time=1)

    def start(self) -> None:
        """Start anvil and wait until it answers."""
        self.node.start()

    def stop(self, timeout: float = 20.0) -> None:
        """Stop anvil."""
        self.node.stop()


class BridgeService(Service):
    """``leasechain-bridge run`` with its keys in files of its work directory."""

    name = "bridge"

    def start(self, args: list[str]) -> None:
        """Start the bridge with ``args`` after ``run``."""
        self._spawn([sys.executable, "-m", "bridge", "run", *args])


@dataclass
class ChainSide:
    """What the demo's chain holds and how to ask it."""

    rpc_url: str
    anchor: str
    token: str
    origin: str

    def recorded(self, client: LedgerClient) -> m.RecordedAnchor | None:
        """The newest anchor the ledger records for the demo's contract."""
        for item in client.http.get("/v1/anchors").json():
            if item["contract"] == self.anchor:
                return m.RecordedAnchor.model_validate(item)
        return None

    def wait_recorded(self, client: LedgerClient, size: int, timeout: float = 120.0) -> m.RecordedAnchor:
        """Wait until an anchor of at least ``size`` is confirmed and recorded in the ledger."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.recorded(client)
            if found is not None and found.size >= size:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"no anchor of size {size} was recorded within {timeout:.0f} s")
            time.sleep(0.5)

    def mirrored(self, client: LedgerClient, tokens: list[str]) -> int:
        """How many of ``tokens`` show on chain exactly what the ledger holds."""
        chain = Chain(self.rpc_url, bytes.fromhex(KEYS[0]), CHAIN_ID)
        contract = chain.contract("MachineToken", self.token)
        infos = {e.account: dict(e.info) for e in client.enterprises()}
        count = 0
        for token_id in tokens:
            want = wanted(client.token(token_id), infos)
            owner, user, expires, status = contract.functions.mirrored(token_id).call()
            count += (str(owner).lower(), str(user).lower(), expires, status) == (
                want.owner,
                want.user,
                want.expires,
                want.status,
            )
        return count

    def wait_mirrored(self, client: LedgerClient, tokens: list[str], timeout: float = 120.0) -> int:
        """Wait until every token is mirrored (or the time is up); how many are."""
        deadline = time.monotonic() + timeout
        while (count := self.mirrored(client, tokens)) < len(tokens) and time.monotonic() < deadline:
            time.sleep(1.0)
        return count

    def check(self, bundle: Bundle) -> OnChain:
        """``audit verify --rpc`` on one bundle."""
        with Rpc(self.rpc_url) as rpc:
            return verify_on_chain(bundle, rpc)


def start_chain(
    work: Path, ledger_url: str, cast: Cast, explorer_url: str, add: Callable[[Service], None]
) -> ChainSide:
    """Start anvil, deploy the contracts, start the bridge (as the gateway's service account)."""
    anvil = AnvilService(work / "anvil")
    anvil.start()
    add(anvil)
    with LedgerClient(ledger_url) as client:
        origin = str(client.http.get("/v1/info").json()["origin"])
    owner = Chain(anvil.node.url, bytes.fromhex(KEYS[0]), CHAIN_ID)
    writer = Chain(anvil.node.url, bytes.fromhex(KEYS[1]), CHAIN_ID)
    anchor, block = owner.deploy("CheckpointAnchor", owner.address)
    register = owner.contract("CheckpointAnchor", anchor).functions.registerLog(origin, writer.address)
    owner.transact(register, "registering the log")
    base = (explorer_url or "http://127.0.0.1:8081").rstrip("/") + "/machine/"
    token, _ = owner.deploy("MachineToken", owner.address, writer.address, base)
    keys = work / "bridge"
    keys.mkdir(parents=True, exist_ok=True)
    (keys / "eth-key").write_text(KEYS[1])
    (keys / "ledger-key").write_text(bytes(cast.service.key).hex())
    for path in keys.glob("*-key"):
        path.chmod(0o600)
    bridge = BridgeService(keys)
    bridge.start(
        [
            "--ledger", ledger_url, "--rpc", anvil.node.url, "--chain-id", str(CHAIN_ID),
            "--anchor-contract", anchor, "--token-contract", token, "--start-block", str(block),
            "--confirmations", str(CONFIRMATIONS), "--interval", str(INTERVAL), "--poll", "0.5",
            "--eth-key", str(keys / "eth-key"), "--ledger-key", str(keys / "ledger-key"),
        ]
    )  # fmt: skip
    add(bridge)
    return ChainSide(anvil.node.url, anchor.lower(), token.lower(), origin)
