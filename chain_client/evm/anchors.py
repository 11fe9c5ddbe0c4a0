"""Reading ``CheckpointAnchor``: the anchors of a log origin, by size and newest."""

from __future__ import annotations

from dataclasses import dataclass

from chain_client.evm import abi
from chain_client.evm.artifacts import artifact
from chain_client.evm.rpc import Rpc


@dataclass(frozen=True)
class OnChainAnchor:
    """A checkpoint as the contract holds it; ``size`` 0 means none is anchored."""

    size: int
    cosignatures: int
    block: int
    timestamp: int
    root: bytes


def _anchor(data: bytes) -> OnChainAnchor:
    size, cosignatures, block, timestamp, root = abi.words(data, 5)
    return OnChainAnchor(size, cosignatures, block, timestamp, root.to_bytes(32, "big"))


def latest_anchor(rpc: Rpc, contract: str, origin: str, block: int | str = "latest") -> OnChainAnchor:
    """The newest anchor of ``origin`` (``latest(string)``)."""
    selector = artifact("CheckpointAnchor").selector("latest(string)")
    return _anchor(rpc.call(contract, abi.call_data(selector, origin), block))


def anchor_at(rpc: Rpc, contract: str, origin: str, size: int, block: int | str = "latest") -> OnChainAnchor:
    """The anchor of ``origin`` at tree ``size`` (``bySize(string,uint64)``)."""
    selector = artifact("CheckpointAnchor").selector("bySize(string,uint64)")
    return _anchor(rpc.call(contract, abi.call_data(selector, origin, size), block))


def writer_of(rpc: Rpc, contract: str, origin: str) -> str:
    """The account that may anchor ``origin`` (the zero address if none)."""
    selector = artifact("CheckpointAnchor").selector("writerOf(string)")
    return abi.address(abi.words(rpc.call(contract, abi.call_data(selector, origin)), 1)[0])
