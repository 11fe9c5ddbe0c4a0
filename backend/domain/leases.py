"""Tripartite leases: offer by the owner (withdrawable, expiring), signature by the lessee, closing."""

from __future__ import annotations

from typing import Any

from backend.books import escrow, settlement
from backend.domain.context import Context, certified, lease, owned_token, refuse
from backend.domain.offers import check_fees, close_offer, void_offers
from backend.state import Lease, Token
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import MAX_LEASE_PERIODS, MAX_OPEN_OFFERS, Role, TokenStatus

UNPAID_SHOWN = 5


def _check_span(args: dict[str, Any]) -> int:
    span = args["end"] - args["start"]
    if span <= 0 or span % args["period"]:
        raise refuse(
            TxReason.BAD_PERIOD,
            f"lease from {args['start']} to {args['end']} is not a positive multiple "
            f"of the period {args['period']}",
        )
    periods: int = span // args["period"]
    if periods > MAX_LEASE_PERIODS:
        raise refuse(
            TxReason.TOO_MANY_PERIODS,
            f"lease from {args['start']} to {args['end']} has {periods} periods of {args['period']} s, "
            f"at most {MAX_LEASE_PERIODS} are allowed",
        )
    return periods


def _check_expiry(ctx: Context, args: dict[str, Any]) -> None:
    if not ctx.time < args["expires"] <= args["end"]:
        raise refuse(
            TxReason.BAD_ARGS,
            f"argument 'expires' is {args['expires']}, expected after now ({ctx.time}) "
            f"and at most the lease end {args['end']}",
        )


def offer_lease(ctx: Context) -> dict[str, Any]:
    """The owner offers the token to a certified lessee on stated terms, until ``expires``."""
    args = ctx.args
    found = owned_token(ctx, args["token"])
    certified(ctx, args["lessee"], (Role.LESSEE,), what="lessee")
    if args["lessee"] == ctx.signer:
        raise refuse(
            TxReason.BAD_ARGS, f"argument 'lessee' is the owner {ctx.signer}, expected another party"
        )
    periods = _check_span(args)
    _check_expiry(ctx, args)
    for account, _ in args["fees"]:
        certified(ctx, account, what="fee account")
    check_fees(found, args["fees"])
    if found.lease:
        raise refuse(
            TxReason.TOKEN_ALREADY_LEASED, f"token {found.id!r} is under active lease {found.lease!r}"
        )
    if len(found.offers) >= MAX_OPEN_OFFERS:
        raise refuse(
            TxReason.TOO_MANY_OFFERS,
            f"token {found.id!r} has {len(found.offers)} open offers, at most {MAX_OPEN_OFFERS}: "
            "withdraw one first (cancel_offer)",
        )
    lid = ctx.derived_id("lease-", ctx.tx.public_key, ctx.tx.id.encode())
    ctx.state.leases[lid] = Lease(
        id=lid,
        token=found.id,
        lessor=ctx.signer,
        lessee=args["lessee"],
        start=args["start"],
        end=args["end"],
        period=args["period"],
        fixed_rent=args["fixed_rent"],
        usage_rate=args["usage_rate"],
        deposit=args["deposit"],
        grace=args["grace"],
        fees=list(args["fees"]),
        offered_at=ctx.time,
        expires=args["expires"],
    )
    found.offers.append(lid)
    return {"lease": lid, "periods": periods, "expires": args["expires"]}


_CLOSED_OFFER = {"withdrawn": TxReason.OFFER_WITHDRAWN, "void": TxReason.OFFER_VOID}


def _open_offer(ctx: Context, found: Lease) -> Token:
    """The token of an offer that can still be signed now."""
    if found.status in _CLOSED_OFFER:
        raise refuse(
            _CLOSED_OFFER[found.status],
            f"offer {found.id!r} was {found.status} at {found.ended_at}: {found.end_reason}",
        )
    if found.status != "pending":
        raise refuse(TxReason.LEASE_NOT_PENDING, f"lease {found.id!r} is {found.status}, not pending")
    if ctx.time >= found.expires:
        raise refuse(
            TxReason.OFFER_EXPIRED, f"offer {found.id!r} expired at {found.expires}, it is {ctx.time}"
        )
    tok = ctx.state.tokens[found.token]
    if tok.owner != found.lessor:
        raise refuse(
            TxReason.OFFER_VOID,
            f"offer {found.id!r} was made by {found.lessor}, token {tok.id!r} is now owned by {tok.owner}",
        )
    if tok.status == TokenStatus.RETIRED:
        raise refuse(TxReason.TOKEN_RETIRED, f"token {tok.id!r} is retired")
    if tok.lease:
        raise refuse(TxReason.TOKEN_ALREADY_LEASED, f"token {tok.id!r} is under active lease {tok.lease!r}")
    check_fees(tok, found.fees)
    return tok


def sign_lease(ctx: Context) -> dict[str, Any]:
    """The lessee accepts an open offer: deposit to escrow, the lessee becomes the token's user."""
    found = lease(ctx, ctx.args["lease"])
    if ctx.signer != found.lessee:
        raise refuse(TxReason.NOT_LESSEE, f"signer {ctx.signer} is not the lessee of {found.id!r}")
    certified(ctx, ctx.signer, (Role.LESSEE,))
    tok = _open_offer(ctx, found)
    books, payer = ctx.state.books, settlement(ctx.signer)
    if not books.can_pay(payer, found.deposit):
        raise refuse(
            TxReason.INSUFFICIENT_FUNDS,
            f"{payer} holds {books.balance(payer)}, the deposit is {found.deposit}",
        )
    books.post(ctx.index, payer, escrow(found.id), found.deposit, f"deposit for {found.id}")
    tok.offers.remove(found.id)
    voided = void_offers(ctx, tok, f"token leased under {found.id}")
    found.status = "active"
    ctx.state.active_leases += 1
    found.signed_at = ctx.time
    tok.lease = found.id
    tok.user = found.lessee
    tok.user_expires = found.end
    tok.status = TokenStatus.LEASED
    return {"lease": found.id, "status": "active", "voided": voided}


def cancel_offer(ctx: Context) -> dict[str, Any]:
    """The offerer withdraws a pending offer before it is signed."""
    found = lease(ctx, ctx.args["lease"])
    if ctx.signer != found.lessor:
        raise refuse(TxReason.NOT_LESSOR, f"signer {ctx.signer} did not offer lease {found.id!r}")
    if found.status != "pending":
        raise refuse(TxReason.LEASE_NOT_PENDING, f"lease {found.id!r} is {found.status}, not pending")
    close_offer(ctx, found, "withdrawn", f"withdrawn by {ctx.signer}")
    return {"lease": found.id, "status": "withdrawn"}


def _check_all_paid(ctx: Context, found: Lease) -> None:
    unpaid = [
        p
        for p in range(found.periods)
        if p not in found.invoices or not ctx.state.invoices[found.invoices[p]].paid_at
    ]
    if unpaid:
        # The count and the first few: the answer stays small whatever the lease's length.
        first = ", ".join(map(str, unpaid[:UNPAID_SHOWN]))
        more = f" and {len(unpaid) - UNPAID_SHOWN} more" if len(unpaid) > UNPAID_SHOWN else ""
        raise refuse(
            TxReason.UNPAID_INVOICES,
            f"lease {found.id!r} has {len(unpaid)} unpaid or uninvoiced periods: {first}{more}",
        )


def close_lease(ctx: Context) -> dict[str, Any]:
    """Owner or lessee closes an ended, fully paid lease: deposit back, token returned."""
    found = lease(ctx, ctx.args["lease"])
    tok = ctx.state.tokens[found.token]
    if ctx.signer not in (tok.owner, found.lessee):
        raise refuse(
            TxReason.NOT_OWNER,
            f"signer {ctx.signer} is neither the token's owner nor the lessee of {found.id!r}",
        )
    if found.status != "active":
        raise refuse(TxReason.LEASE_NOT_ACTIVE, f"lease {found.id!r} is {found.status}, not active")
    if ctx.time < found.end:
        raise refuse(TxReason.LEASE_NOT_ENDED, f"lease {found.id!r} ends at {found.end}, it is {ctx.time}")
    _check_all_paid(ctx, found)
    books = ctx.state.books
    books.post(
        ctx.index, escrow(found.id), settlement(found.lessee), found.deposit, f"deposit back {found.id}"
    )
    found.status = "closed"
    ctx.state.active_leases -= 1
    found.closed_at = ctx.time
    tok.lease = ""
    tok.user = ""
    tok.user_expires = 0
    tok.status = TokenStatus.RETURNED
    ctx.state.enterprises[found.lessee].credit.completed_leases += 1
    return {"lease": found.id, "status": "closed", "deposit_returned": found.deposit}
