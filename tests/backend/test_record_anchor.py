"""``record_anchor``: a certified service records confirmed on-chain anchors; its refusals."""

from __future__ import annotations

from typing import Any

from backend.snapshot import encode, restore
from chain_client.ledger import TxReason
from tests.backend.world import World

CONTRACT = "0x5fbdb2315678afecb367f032d93f642f64180aa3"


def _args(size: int, **over: Any) -> dict[str, Any]:
    args = {
        "chain_id": 31337,
        "contract": CONTRACT,
        "size": size,
        "root": bytes(32),
        "cosignatures": 2,
        "tx_hash": bytes(range(32)),
        "block": 12,
    }
    return {**args, **over}


def test_a_service_records_anchors_of_growing_size(world: World) -> None:
    bridge = world.enterprise("bridge", "service")
    result = world.do(bridge, "record_anchor", **_args(3))
    assert result == {"chain_id": 31337, "contract": CONTRACT, "size": 3}
    world.do(bridge, "record_anchor", **_args(world.ledger.size))
    (anchor,) = world.ledger.state.anchors.values()
    assert (anchor.recorder, anchor.count, anchor.cosignatures) == (bridge.account, 2, 2)
    # Another contract, or another chain, has its own history.
    world.do(bridge, "record_anchor", **_args(3, chain_id=10))
    assert len(world.ledger.state.anchors) == 2
    # The snapshot holds the anchors and restores them exactly.
    assert encode(restore(encode(world.ledger.state))) == encode(world.ledger.state)


def test_refusals(world: World) -> None:
    bridge = world.enterprise("bridge", "service")
    other = world.enterprise("other", "service")
    maker = world.enterprise("maker", "manufacturer")
    world.refused(TxReason.ROLE_NOT_ALLOWED, maker, "record_anchor", **_args(2))
    world.refused(TxReason.ANCHOR_BEYOND_LOG, bridge, "record_anchor", **_args(world.ledger.size + 1))
    world.do(bridge, "record_anchor", **_args(5))
    world.refused(TxReason.ANCHOR_NOT_NEWER, bridge, "record_anchor", **_args(5))
    world.refused(TxReason.ANCHOR_NOT_NEWER, bridge, "record_anchor", **_args(4))
    world.refused(TxReason.NOT_ANCHOR_RECORDER, other, "record_anchor", **_args(6))
    checksummed = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    for bad in (checksummed, checksummed[2:].lower(), "0x12"):
        world.refused(TxReason.BAD_ARGS, bridge, "record_anchor", **_args(6, contract=bad))
    world.refused(TxReason.BAD_ARGS, bridge, "record_anchor", **_args(6, tx_hash=b"short"))
    world.refused(TxReason.BAD_ARGS, bridge, "record_anchor", **_args(0))


def test_a_log_without_anchors_keeps_the_digest_it_had(world: World) -> None:
    # The anchors appear in the snapshot only once there is one: states of older logs hash as before.
    assert "anchors" not in world.ledger.state.snapshot()
