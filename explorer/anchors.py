"""The log's checkpoints anchored on EVM chains (``GET /v1/anchors``), as people read them (docs/chain.md)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from chain_client import human
from chain_client.client import LedgerClient
from chain_client.client import models as m
from chain_client.evm import chain_name
from explorer.names import Names


@dataclass(frozen=True)
class Anchor:
    """The newest anchor recorded for one chain and contract, in words and numbers."""

    chain: str  # "Base (chain 8453)"
    chain_id: int
    contract: str
    recorder: str  # the account that records this contract's anchors
    size: int
    behind: int  # entries the ledger holds beyond the anchored tree
    root: str
    block: int
    tx_hash: str
    cosignatures: int
    recorded_at: int
    ago: str  # "3 min"
    count: int  # anchors of this contract recorded so far


def anchors(client: LedgerClient, names: Names) -> list[Anchor]:
    """Every chain and contract the log is anchored on, the most recently recorded first."""
    now = int(time.time())
    found = [_anchor(a, names.info.size, now) for a in client.anchors()]
    return sorted(found, key=lambda a: (-a.recorded_at, a.chain_id, a.contract))


def _anchor(anchor: m.RecordedAnchor, size: int, now: int) -> Anchor:
    return Anchor(
        chain=chain_name(anchor.chain_id),
        chain_id=anchor.chain_id,
        contract=anchor.contract,
        recorder=anchor.recorder,
        size=anchor.size,
        behind=max(0, size - anchor.size),
        root=anchor.root,
        block=anchor.block,
        tx_hash=anchor.tx_hash,
        cosignatures=anchor.cosignatures,
        recorded_at=anchor.recorded_at,
        ago=human.duration(max(0, now - anchor.recorded_at)),
        count=anchor.count,
    )


def page(client: LedgerClient, names: Names) -> dict[str, object]:
    """The values of ``/chain``: the log's origin and its anchors."""
    return {"origin": names.info.origin, "size": names.info.size, "anchors": anchors(client, names)}
