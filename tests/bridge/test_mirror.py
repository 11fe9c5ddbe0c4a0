"""Machine tokens mirrored on anvil: mint, lease, transfer and retire as the ledger has them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.accounts import ZERO, derived_address
from bridge.mirror import Picture
from tests.bridge.world import LESSEE_EVM, World, make_world

pytestmark = [pytest.mark.anvil, pytest.mark.slow]
DAY = 86_400


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path)
    try:
        yield made
    finally:
        made.ledger.stop()
        made.anvil.stop()


def _settle(world: World, bridge: object) -> None:
    """Step until nothing is sent or waiting, mining blocks for the confirmations."""
    for _ in range(10):
        result = bridge.mirror.step()  # type: ignore[attr-defined]
        if result.sent == 0 and result.waiting == 0:
            return
        world.anvil.mine(world.confirmations)
    raise AssertionError("the mirror did not settle")


def _mint(world: World, serial: str) -> str:
    with world.client(world.cast.maker) as maker:
        return str(
            maker.mint_token(
                serial, "CNC-5", price=1_000_000, salvage_value=0, shares=100, share_price=10_000
            ).token
        )


def test_mint_lease_transfer_and_retire_are_mirrored(world: World) -> None:
    bridge = world.bridge()
    assert bridge.mirror is not None
    leased, spare = _mint(world, "SN-1"), _mint(world, "SN-2")
    _settle(world, bridge)
    maker = derived_address(world.cast.maker.account)
    assert bridge.mirror.picture(leased, bridge.chain.head()) == Picture(maker, ZERO, 0, 2)
    start = int(time.time())
    with world.client(world.cast.maker) as m, world.client(world.cast.lessee) as lessee:
        lease = m.offer_lease(
            leased, world.cast.lessee.account, start=start, end=start + 30 * DAY, period=DAY, fixed_rent=1000
        ).lease
        lessee.sign_lease(lease)
        m.transfer_token(leased, world.cast.north.account)  # sold while leased
        m.set_token_status(spare, "retired")
    _settle(world, bridge)
    head = bridge.chain.head()
    north = derived_address(world.cast.north.account)
    # The lessee's declared address is the user, until the lease's end, after the sale too.
    assert bridge.mirror.picture(leased, head) == Picture(north, LESSEE_EVM, start + 30 * DAY, 3)
    assert bridge.mirror.picture(spare, head) == Picture(maker, ZERO, 0, 5)
    token = bridge.chain.contract("MachineToken", world.token)
    tid = token.functions.tokenIdOf(leased).call()
    assert token.functions.userOf(tid).call().lower() == LESSEE_EVM
    assert token.functions.tokenURI(tid).call() == f"https://explorer.test/machine/{leased}"
    # A restarted bridge finds everything already on chain and sends nothing.
    again = world.bridge()
    assert again.mirror is not None
    assert again.mirror.step().sent == 0
    assert again.mirror.step().done == 2


def test_a_reorg_that_drops_a_mirror_update_is_sent_again(world: World) -> None:
    bridge = world.bridge()
    assert bridge.mirror is not None
    token = _mint(world, "SN-3")
    snapshot = world.anvil.rpc("evm_snapshot")
    assert bridge.mirror.step().sent == 1
    world.anvil.rpc("evm_revert", snapshot)
    assert bridge.mirror.picture(token, bridge.chain.head()).status == 0
    _settle(world, bridge)
    assert bridge.mirror.picture(token, bridge.chain.head()).status == 2
