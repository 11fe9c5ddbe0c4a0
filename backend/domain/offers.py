"""Open lease offers on a token: the fee terms they must respect, and voiding them on a change."""

from __future__ import annotations

from backend.domain.context import Context, refuse
from backend.state import Lease, Token
from chain_client.ledger.reasons import TxReason


def check_fees(found: Token, fees: list[tuple[str, int]]) -> None:
    """A lease's fees stay within the token's fee terms: listed accounts, at most their bps."""
    terms = dict(found.fee_terms)
    for account, bps in fees:
        allowed = terms.get(account)
        if allowed is None or bps > allowed:
            raise refuse(
                TxReason.FEES_EXCEED_TERMS,
                f"a fee of {bps} bps to {account} exceeds the fee terms of token {found.id!r} "
                f"({allowed or 0} bps for that account; terms {found.fee_terms})",
            )


def close_offer(ctx: Context, offer: Lease, status: str, reason: str) -> None:
    """End a pending offer as ``withdrawn`` or ``void``; it can no longer be signed."""
    offer.status = status
    offer.ended_at = ctx.time
    offer.end_reason = reason
    ctx.state.tokens[offer.token].offers.remove(offer.id)


def void_offers(ctx: Context, found: Token, reason: str, keep: str = "") -> list[str]:
    """Void every open offer on ``found`` but ``keep``; return the voided lease ids."""
    voided = [lid for lid in found.offers if lid != keep]
    for lid in voided:
        close_offer(ctx, ctx.state.leases[lid], "void", reason)
    return voided
