"""Fixtures of the chain tests: a private anvil, the contracts deployed on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bridge.anvil import CHAIN_ID, KEYS, Anvil
from bridge.chain import Chain

ORIGIN = "ledger.test/leasechain"


@pytest.fixture
def anvil(tmp_path: Path) -> Iterator[Anvil]:
    node = Anvil(tmp_path)
    node.start()
    try:
        yield node
    finally:
        node.stop()


@dataclass
class Deployed:
    """The contracts on anvil: deployed by KEYS[0], anchoring and bridging as KEYS[1]."""

    owner: Chain
    writer: Chain
    stranger: Chain
    anchor: str
    token: str
    block: int


@pytest.fixture
def deployed(anvil: Anvil) -> Deployed:
    owner = Chain(anvil.url, bytes.fromhex(KEYS[0]), CHAIN_ID)
    writer = Chain(anvil.url, bytes.fromhex(KEYS[1]), CHAIN_ID)
    stranger = Chain(anvil.url, bytes.fromhex(KEYS[2]), CHAIN_ID)
    anchor, block = owner.deploy("CheckpointAnchor", owner.address)
    owner.transact(
        owner.contract("CheckpointAnchor", anchor).functions.registerLog(ORIGIN, writer.address), "register"
    )
    token, _ = owner.deploy("MachineToken", owner.address, writer.address, "https://explorer.test/machine/")
    return Deployed(owner, writer, stranger, anchor, token, block)
