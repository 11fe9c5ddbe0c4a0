"""The bridge anchors checkpoints on anvil: confirmed, recorded back, through restarts and reorgs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bridge.anvil import KEYS
from bridge.chain import NODE_ERRORS
from bridge.cli import main
from bridge.errors import BridgeError
from chain_client.client import LedgerClient
from chain_client.ledger.schema import TxType
from chain_client.tlog import cosigner
from tests.bridge.world import World, make_world

pytestmark = [pytest.mark.anvil, pytest.mark.slow]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path)
    try:
        yield made
    finally:
        made.ledger.stop()
        made.anvil.stop()


def test_an_anchor_is_confirmed_then_recorded_in_the_ledger_once(world: World) -> None:
    bridge = world.bridge(token_contract="")
    size = world.size()
    first = bridge.anchorer.step()
    assert first.action == "anchored"
    assert world.on_chain() == size
    assert bridge.anchorer.step().action == "waiting"  # one block of the two confirmations
    world.anvil.mine()
    assert bridge.anchorer.step().action == "recorded"
    (recorded,) = world.recorded()
    assert recorded["size"] == size
    assert recorded["recorder"] == world.cast.service.account
    assert recorded["contract"] == world.anchor
    receipt = bridge.chain.w3.eth.get_transaction_receipt(bytes.fromhex(str(recorded["tx_hash"])))  # type: ignore[arg-type]
    assert receipt["blockNumber"] == recorded["block"]
    with LedgerClient(world.ledger.url) as c:
        entry = c.transaction(world.size() - 1)
    assert entry.type == TxType.RECORD_ANCHOR
    # The bridge's own record alone is not anchored again (each anchor would cause the next).
    assert bridge.anchorer.step().action == "idle"
    world.grow()
    assert bridge.anchorer.step().action == "anchored"
    assert world.on_chain() == size + 2  # the record and the deposit
    assert world.anchored_sizes() == [size, size + 2]


def test_a_restart_at_any_point_neither_anchors_twice_nor_skips(world: World) -> None:
    world.anvil.rpc("evm_setAutomine", False)
    assert world.bridge().anchorer.step().action == "anchored"  # sent, still in the node's pool
    assert world.bridge().anchorer.step().action == "waiting"  # a new bridge sees it in flight
    world.anvil.mine()
    assert world.bridge().anchorer.step().action == "waiting"  # mined, one confirmation
    world.anvil.mine()
    assert world.bridge().anchorer.step().action == "recorded"
    assert world.bridge().anchorer.step().action == "idle"
    world.grow()
    assert world.bridge().anchorer.step().action == "anchored"
    world.anvil.mine(2)
    # Two confirmed anchors, the second not yet recorded; a new bridge records it, once.
    assert world.bridge().anchorer.step().action == "recorded"
    assert world.bridge().anchorer.step().action == "idle"
    sizes = world.anchored_sizes()
    assert len(sizes) == 2
    assert [r["size"] for r in world.recorded()] == [sizes[-1]]
    assert world.recorded()[0]["count"] == 2


def test_a_reorg_that_drops_the_anchor_makes_the_bridge_send_it_again(world: World) -> None:
    bridge = world.bridge(confirmations=3)
    snapshot = world.anvil.rpc("evm_snapshot")
    size = world.size()
    assert bridge.anchorer.step().action == "anchored"
    dropped = world.anchored_sizes()
    assert dropped == [size]
    world.anvil.rpc("evm_revert", snapshot)  # the block holding the anchor is gone
    assert world.on_chain() == 0
    again = bridge.anchorer.step()
    assert again.action == "anchored"
    world.anvil.mine(2)
    assert bridge.anchorer.step().action == "recorded"
    assert world.anchored_sizes() == [size]
    (recorded,) = world.recorded()
    assert recorded["size"] == size


def test_the_chain_and_the_ledger_down_and_back_lose_and_double_nothing(world: World) -> None:
    bridge = world.bridge(confirmations=1)
    assert bridge.anchorer.step().action == "anchored"
    world.anvil.stop()
    world.grow()
    with pytest.raises(NODE_ERRORS):
        bridge.anchorer.step()
    world.anvil.start()  # from its state file: the anchor is still there
    assert bridge.anchorer.step().action == "recorded"
    world.ledger.stop()
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever httpx raises for a refused connection
        bridge.anchorer.step()
    world.ledger.start()
    assert bridge.anchorer.step().action == "anchored"
    assert bridge.anchorer.step().action == "recorded"
    assert bridge.anchorer.step().action == "idle"
    sizes = world.anchored_sizes()
    assert sizes == sorted(set(sizes))
    assert len(sizes) == 2
    assert world.recorded()[0]["count"] == 2


def test_the_running_bridge_waits_out_an_outage_and_catches_up(world: World) -> None:
    bridge = world.bridge(confirmations=1, poll=0.05)
    steps: list[str] = []
    runner = threading.Thread(target=bridge.run, args=(lambda a, m: steps.append(a.action),))
    runner.start()
    try:
        _until(lambda: world.recorded() != [], "the first anchor recorded")
        world.anvil.stop()
        world.grow()
        time.sleep(0.5)  # steps fail meanwhile, are logged and tried again
        world.anvil.start()
        world.grow()
        size = world.size()
        _until(lambda: world.recorded()[0]["size"] >= size, f"an anchor of size {size} recorded")
    finally:
        bridge.stop.set()
        runner.join(timeout=30)
    sizes = world.anchored_sizes()
    assert sizes == sorted(set(sizes))
    assert world.recorded()[0]["count"] == len(sizes)
    assert {"anchored", "recorded"} <= set(steps)


def _until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_checkpoint_without_the_required_cosignatures_is_not_anchored(world: World) -> None:
    # The ledger's checkpoint carries no line of this witness.
    witness = cosigner("w.test/witness", bytes(SigningKey(bytes(32)).verify_key))
    bridge = world.bridge(min_cosignatures=1, witnesses=(witness,))
    assert bridge.anchorer.step().action == "idle"
    assert world.anchored_sizes() == []


def test_a_start_block_past_the_anchors_is_named(world: World) -> None:
    assert world.bridge(confirmations=1).anchorer.step().action == "anchored"
    wrong = world.bridge(confirmations=1, start_block=10_000)
    with pytest.raises(BridgeError, match="is --start-block right"):
        wrong.anchorer.step()


def test_leasechain_bridge_run_once(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "eth-key").write_text(KEYS[1])
    (tmp_path / "ledger-key").write_text(bytes(world.cast.service.key).hex())
    args = ["run", "--once", "--ledger", world.ledger.url, "--rpc", world.anvil.url, "--chain-id", "31337"]
    args += ["--anchor-contract", world.anchor, "--token-contract", world.token, "--interval", "0"]
    args += ["--eth-key", str(tmp_path / "eth-key"), "--ledger-key", str(tmp_path / "ledger-key")]
    assert main(args) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["anchor"] == "anchored"
    assert world.on_chain() == line["ledger_size"]  # the step sent the anchor of the ledger's size
    assert line["tokens_sent"] == 0  # no token minted yet
