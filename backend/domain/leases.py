"""Tripartite leases: offer by the owner, signature by the lessee, closing at the end."""

from __future__ import annotations

from typing import Any

from backend.books import escrow, settlement
from backend.domain.context import Context, certified, lease, owned_token, refuse
from backend.state import Lease
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import Role, TokenStatus


def offer_lease(ctx: Context) -> dict[str, Any]:
    """The owner offers the token to a certified lessee on stated terms."""
    args = ctx.args
    found = owned_token(ctx, args["token"])
    certified(ctx, args["lessee"], (Role.LESSEE,), what="lessee")
    if args["lessee"] == ctx.signer:
        raise refuse(
            TxReason.BAD_ARGS, f"argument 'lessee' is the owner {ctx.signer}, expected another party"
        )
    span = args["end"] - args["start"]
    if span <= 0 or span % args["period"]:
        raise refuse(
            TxReason.BAD_PERIOD,
            f"lease from {args['start']} to {args['end']} is not a positive multiple "
            f"of the period {args['period']}",
        )
    for account, _ in args["fees"]:
        certified(ctx, account, what="fee account")
    if found.lease:
        raise refuse(
            TxReason.TOKEN_ALREADY_LEASED, f"token {found.id!r} is under active lease {found.lease!r}"
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
    )
    return {"lease": lid, "periods": span // args["period"]}


def sign_lease(ctx: Context) -> dict[str, Any]:
    """The lessee accepts: the deposit goes to escrow and the lessee becomes the token's user."""
    found = lease(ctx, ctx.args["lease"])
    if ctx.signer != found.lessee:
        raise refuse(TxReason.NOT_LESSEE, f"signer {ctx.signer} is not the lessee of {found.id!r}")
    certified(ctx, ctx.signer, (Role.LESSEE,))
    if found.status != "pending":
        raise refuse(TxReason.LEASE_NOT_PENDING, f"lease {found.id!r} is {found.status}, not pending")
    if ctx.time >= found.end:
        raise refuse(TxReason.LEASE_EXPIRED, f"lease {found.id!r} ended at {found.end}, it is {ctx.time}")
    tok = ctx.state.tokens[found.token]
    if tok.status == TokenStatus.RETIRED:
        raise refuse(TxReason.TOKEN_RETIRED, f"token {tok.id!r} is retired")
    if tok.lease:
        raise refuse(TxReason.TOKEN_ALREADY_LEASED, f"token {tok.id!r} is under active lease {tok.lease!r}")
    books, payer = ctx.state.books, settlement(ctx.signer)
    if not books.can_pay(payer, found.deposit):
        raise refuse(
            TxReason.INSUFFICIENT_FUNDS,
            f"{payer} holds {books.balance(payer)}, the deposit is {found.deposit}",
        )
    books.post(ctx.index, payer, escrow(found.id), found.deposit, f"deposit for {found.id}")
    found.status = "active"
    found.signed_at = ctx.time
    tok.lease = found.id
    tok.user = found.lessee
    tok.user_expires = found.end
    tok.status = TokenStatus.LEASED
    return {"lease": found.id, "status": "active"}


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
    unpaid = [
        p
        for p in range(found.periods)
        if p not in found.invoices or not ctx.state.invoices[found.invoices[p]].paid_at
    ]
    if unpaid:
        raise refuse(
            TxReason.UNPAID_INVOICES, f"lease {found.id!r} has unpaid or uninvoiced periods {unpaid}"
        )
    books = ctx.state.books
    books.post(
        ctx.index, escrow(found.id), settlement(found.lessee), found.deposit, f"deposit back {found.id}"
    )
    found.status = "closed"
    found.closed_at = ctx.time
    tok.lease = ""
    tok.user = ""
    tok.user_expires = 0
    tok.status = TokenStatus.RETURNED
    ctx.state.enterprises[found.lessee].credit.completed_leases += 1
    return {"lease": found.id, "status": "closed", "deposit_returned": found.deposit}
