"""Checkpoints anchored on an EVM chain, recorded back into the log so that audit bundles cite them."""

from __future__ import annotations

import logging
from typing import Any

from backend.domain.context import Context, certified, refuse
from backend.state import ChainAnchor
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import Role

log = logging.getLogger(__name__)


def record_anchor(ctx: Context) -> dict[str, Any]:
    """A certified service reports a confirmed on-chain anchor of this log's checkpoint.

    The first account to record an anchor of a (chain, contract) is its only recorder; sizes
    strictly grow, as they do on the contract, so a retried or replayed report is refused; the
    root must be this log's root at that size.
    """
    certified(ctx, ctx.signer, (Role.SERVICE,))
    args = ctx.args
    key = f"{args['chain_id']}:{args['contract']}"
    if args["size"] > ctx.index:
        raise refuse(
            TxReason.ANCHOR_BEYOND_LOG,
            f"anchor of tree size {args['size']} recorded as log entry {ctx.index}: "
            f"the log held only {ctx.index} entries",
        )
    _check_root(ctx)
    known = ctx.state.anchors.get(key)
    if known is not None and known.recorder != ctx.signer:
        raise refuse(
            TxReason.NOT_ANCHOR_RECORDER,
            f"anchors of contract {args['contract']} on chain {args['chain_id']} are recorded by "
            f"{known.recorder}, not {ctx.signer}",
        )
    if known is not None and args["size"] <= known.size:
        raise refuse(
            TxReason.ANCHOR_NOT_NEWER,
            f"tree size {args['size']} is not above {known.size}, the newest anchor recorded "
            f"for contract {args['contract']} on chain {args['chain_id']}",
        )
    ctx.state.anchors[key] = ChainAnchor(
        chain_id=args["chain_id"],
        contract=args["contract"],
        recorder=ctx.signer,
        size=args["size"],
        root=args["root"],
        cosignatures=args["cosignatures"],
        tx_hash=args["tx_hash"],
        block=args["block"],
        recorded_at=ctx.time,
        count=1 if known is None else known.count + 1,
    )
    return {"chain_id": args["chain_id"], "contract": args["contract"], "size": args["size"]}


def _check_root(ctx: Context) -> None:
    """Refuse a root that is not the log's at the anchored size; keep one already in the log."""
    assert ctx.root_at is not None, "record_anchor is applied with the log's tree"
    size, root = ctx.args["size"], ctx.args["root"]
    ours = ctx.root_at(size)
    if root == ours:
        return
    detail = (
        f"root {root.hex()} is not the log's root at tree size {size} ({ours.hex()}); "
        f"an anchor names a checkpoint of this log"
    )
    if ctx.replaying:
        # Written before the ledger checked roots: the entry is history and stays, so the log still
        # starts; every audit bundle that cites it fails anchor_consistency (docs/chain.md).
        log.warning("log entry %d (record_anchor): %s", ctx.index, detail)
        return
    raise refuse(TxReason.ANCHOR_ROOT_MISMATCH, detail)
