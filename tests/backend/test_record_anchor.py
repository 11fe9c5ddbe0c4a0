"""``record_anchor``: a certified service records confirmed on-chain anchors; its refusals."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from backend.ledger import Ledger
from backend.snapshot import encode, restore
from backend.storage import Pending
from chain_client.ledger import TxReason
from chain_client.ledger.entry import encode_entry
from chain_client.merkle import leaf_hash
from tests.backend.world import World

CONTRACT = "0x5fbdb2315678afecb367f032d93f642f64180aa3"


def _args(world: World, size: int, **over: Any) -> dict[str, Any]:
    """A record of the log's own tree of ``size`` (a size beyond the log gets a made-up root)."""
    args = {
        "chain_id": 31337,
        "contract": CONTRACT,
        "size": size,
        "root": world.ledger.tree.root(size) if size <= world.ledger.size else bytes(32),
        "cosignatures": 2,
        "tx_hash": bytes(range(32)),
        "block": 12,
    }
    return {**args, **over}


def test_a_service_records_anchors_of_growing_size(world: World) -> None:
    bridge = world.enterprise("bridge", "service")
    result = world.do(bridge, "record_anchor", **_args(world, 3))
    assert result == {"chain_id": 31337, "contract": CONTRACT, "size": 3}
    world.do(bridge, "record_anchor", **_args(world, world.ledger.size))
    (anchor,) = world.ledger.state.anchors.values()
    assert (anchor.recorder, anchor.count, anchor.cosignatures) == (bridge.account, 2, 2)
    # Another contract, or another chain, has its own history.
    world.do(bridge, "record_anchor", **_args(world, 3, chain_id=10))
    assert len(world.ledger.state.anchors) == 2
    # The snapshot holds the anchors and restores them exactly.
    assert encode(restore(encode(world.ledger.state))) == encode(world.ledger.state)


def test_refusals(world: World) -> None:
    bridge = world.enterprise("bridge", "service")
    other = world.enterprise("other", "service")
    maker = world.enterprise("maker", "manufacturer")
    world.refused(TxReason.ROLE_NOT_ALLOWED, maker, "record_anchor", **_args(world, 2))
    world.refused(TxReason.ANCHOR_BEYOND_LOG, bridge, "record_anchor", **_args(world, world.ledger.size + 1))
    world.do(bridge, "record_anchor", **_args(world, 5))
    world.refused(TxReason.ANCHOR_NOT_NEWER, bridge, "record_anchor", **_args(world, 5))
    world.refused(TxReason.ANCHOR_NOT_NEWER, bridge, "record_anchor", **_args(world, 4))
    world.refused(TxReason.NOT_ANCHOR_RECORDER, other, "record_anchor", **_args(world, 6))
    checksummed = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    for bad in (checksummed, checksummed[2:].lower(), "0x12"):
        world.refused(TxReason.BAD_ARGS, bridge, "record_anchor", **_args(world, 6, contract=bad))
    world.refused(TxReason.BAD_ARGS, bridge, "record_anchor", **_args(world, 6, tx_hash=b"short"))
    world.refused(TxReason.BAD_ARGS, bridge, "record_anchor", **_args(world, 0))


def test_a_log_without_anchors_keeps_the_digest_it_had(world: World) -> None:
    # The anchors appear in the snapshot only once there is one: states of older logs hash as before.
    assert "anchors" not in world.ledger.state.snapshot()


def test_a_root_that_is_not_the_logs_is_refused(world: World) -> None:
    bridge = world.enterprise("bridge", "service")
    size = world.ledger.size
    right = world.ledger.tree.root(size)
    # Another size's root, a flipped bit, the root of the tree one entry later: none is the tree of ``size``.
    for wrong in (world.ledger.tree.root(size - 1), bytes([right[0] ^ 1]) + right[1:], bytes(32)):
        args = _args(world, size, root=wrong)
        error = world.refused(TxReason.ANCHOR_ROOT_MISMATCH, bridge, "record_anchor", **args)
        assert wrong.hex() in error.detail
        assert right.hex() in error.detail
    assert world.ledger.state.anchors == {}
    world.do(bridge, "record_anchor", **_args(world, size))
    # The check runs before the recorder's and the size's: a retried wrong root says what is wrong.
    stale = _args(world, size + 1, root=right)
    world.refused(TxReason.ANCHOR_ROOT_MISMATCH, bridge, "record_anchor", **stale)


def test_recorded_anchors_replay(world: World, make_ledger: Callable[[], Ledger]) -> None:
    bridge = world.enterprise("bridge", "service")
    world.do(bridge, "record_anchor", **_args(world, 2))
    world.do(bridge, "record_anchor", **_args(world, world.ledger.size))
    digest = world.ledger.digest()
    world.ledger.close()
    assert make_ledger().digest() == digest


def test_a_wrong_root_already_in_an_old_log_replays_with_a_warning(
    world: World, make_ledger: Callable[[], Ledger], caplog: pytest.LogCaptureFixture
) -> None:
    # A log written before the ledger checked roots may hold a record_anchor with any root: its entry is
    # history, so the log still starts, and the operator is told which entry it is.
    bridge = world.enterprise("bridge", "service")
    size = world.ledger.size
    raw = world.tx(bridge, "record_anchor", "old-anchor", **_args(world, size, root=bytes(32)))
    entry = encode_entry(int(world.clock()), raw)
    row = {
        "idx": size,
        "leaf_hash": leaf_hash(entry),
        "entry": entry,
        "signer": bridge.account,
        "tx_id": "old-anchor",
        "tx_type": "record_anchor",
        "time": int(world.clock()),
        "result": json.dumps({"chain_id": 31337, "contract": CONTRACT, "size": size}, sort_keys=True),
    }
    world.ledger.storage.write(Pending(log=[row], batches=[], readings=[]))
    world.ledger.close()
    with caplog.at_level(logging.WARNING, logger="backend.domain.anchors"):
        again = make_ledger()
    assert f"log entry {size} (record_anchor): root {bytes(32).hex()}" in caplog.text
    (anchor,) = again.state.anchors.values()
    assert (anchor.size, anchor.root) == (size, bytes(32))
