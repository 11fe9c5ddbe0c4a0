"""A real ledger (``leasechain-backend serve``) and a real anvil, parties certified, contracts deployed."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from bridge.anvil import CHAIN_ID, KEYS, Anvil
from bridge.chain import Chain
from bridge.config import BridgeConfig
from bridge.service import Bridge
from chain_client.client import LedgerClient
from chain_client.evm import Rpc, latest_anchor
from simulator.services import Backend
from simulator.story import Cast, Party

OPERATOR = SigningKey(bytes(32 * [7]))
LESSEE_EVM = "0x00000000000000000000000000000000001e55ee"


@dataclass
class World:
    """The ledger, the chain and the contracts; :meth:`bridge` makes a fresh bridge (as after a restart)."""

    ledger: Backend
    anvil: Anvil
    cast: Cast
    origin: str
    anchor: str
    token: str
    start_block: int
    confirmations: int = 2

    def bridge(self, **changes: object) -> Bridge:
        config = BridgeConfig(
            ledger_url=self.ledger.url,
            rpc_url=self.anvil.url,
            chain_id=CHAIN_ID,
            anchor_contract=self.anchor,
            token_contract=self.token,
            confirmations=self.confirmations,
            interval=0.0,
            poll=0.05,
            start_block=self.start_block,
        )
        config = BridgeConfig(**{**config.__dict__, **changes})
        return Bridge(config, bytes.fromhex(KEYS[1]), bytes(self.cast.service.key))

    def client(self, party: Party) -> LedgerClient:
        return LedgerClient(self.ledger.url, party.key, id_prefix=party.name[:4].lower())

    def grow(self, amount: int = 1) -> None:
        """Add an entry to the log (the operator records a deposit)."""
        with LedgerClient(self.ledger.url, self.cast.operator, id_prefix="op") as op:
            op.deposit(self.cast.lessee.account, amount, f"wire {time.time_ns()}")

    def size(self) -> int:
        with LedgerClient(self.ledger.url) as c:
            return c.info().size

    def on_chain(self) -> int:
        with Rpc(self.anvil.url) as rpc:
            return latest_anchor(rpc, self.anchor, self.origin).size

    def recorded(self) -> list[dict[str, Any]]:
        with LedgerClient(self.ledger.url) as c:
            return list(c.http.get("/v1/anchors").json())

    def anchored_sizes(self) -> list[int]:
        """Every size the contract ever anchored for the origin, from its events, in order."""
        chain = Chain(self.anvil.url, bytes.fromhex(KEYS[0]), CHAIN_ID)
        event = chain.contract("CheckpointAnchor", self.anchor).events.CheckpointAnchored
        return [e["args"]["size"] for e in event.get_logs(from_block=0, to_block="latest")]


def make_world(tmp: Path, extra: list[str] | None = None) -> World:
    """``extra``: more ``serve`` options of the ledger, e.g. ``--origin`` and ``--witness-policy``."""
    anvil = Anvil(tmp)
    anvil.start()
    (tmp / "ledger").mkdir(exist_ok=True)
    backend = Backend(tmp / "ledger", OPERATOR, extra=extra)
    backend.start()
    cast = Cast(operator=backend.operator)
    with LedgerClient(backend.url, cast.operator, id_prefix="op") as op:
        for party in cast.parties:
            # The lessee names its own chain address; the others are shown under derived ones.
            info = {"evm_address": LESSEE_EVM} if party is cast.lessee else {"country": "DE"}
            with LedgerClient(backend.url, party.key, id_prefix="reg") as c:
                c.register_enterprise(party.name, list(party.roles), info)
            op.approve_enterprise(party.account, "documents checked")
        info = op.http.get("/v1/info").json()
    owner = Chain(anvil.url, bytes.fromhex(KEYS[0]), CHAIN_ID)
    writer = Chain(anvil.url, bytes.fromhex(KEYS[1]), CHAIN_ID)
    anchor, block = owner.deploy("CheckpointAnchor", owner.address)
    owner.transact(
        owner.contract("CheckpointAnchor", anchor).functions.registerLog(info["origin"], writer.address),
        "register",
    )
    token, _ = owner.deploy("MachineToken", owner.address, writer.address, "https://explorer.test/machine/")
    return World(backend, anvil, cast, info["origin"], anchor.lower(), token.lower(), block)
