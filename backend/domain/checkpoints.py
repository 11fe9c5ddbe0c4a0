"""State checkpoints: the operator commits the digest of the state after the first ``size`` entries."""

from __future__ import annotations

from typing import Any

from backend.domain.context import Context, refuse
from chain_client.ledger.reasons import TxReason


def checkpoint(ctx: Context) -> dict[str, Any]:
    """The operator states the digest of the state before this entry; anyone replaying checks it."""
    if ctx.signer != ctx.state.operator:
        raise refuse(TxReason.NOT_OPERATOR, f"signer {ctx.signer} is not the operator")
    size, claimed = ctx.args["size"], ctx.args["digest"]
    if size != ctx.index:
        raise refuse(
            TxReason.CHECKPOINT_MISMATCH, f"checkpoint for size {size} submitted as log entry {ctx.index}"
        )
    actual = ctx.state.digest()
    # A checkpoint written before the credit book existed commits to the state without it; its
    # snapshot lacks the book, so start-up never restores from it (backend/snapshot.py).
    if claimed != actual and claimed == ctx.state.digest_before_credit_book():
        return {"size": size, "digest": claimed.hex()}
    if claimed != actual:
        raise refuse(
            TxReason.CHECKPOINT_MISMATCH,
            f"checkpoint at size {size} states digest {claimed.hex()}, the state's is {actual.hex()}",
        )
    return {"size": size, "digest": actual.hex()}
