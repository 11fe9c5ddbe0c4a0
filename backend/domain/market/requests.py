"""A lessee's posted requests: bounded per lessee, open until withdrawn, matched or expired."""

from __future__ import annotations

from typing import Any

from backend.domain.context import Context, certified, refuse
from backend.domain.offers import close_offer
from backend.marketplace import Request
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import MAX_LEASE_PERIODS, MAX_OPEN_REQUESTS, Role
from chain_client.market.ids import REQUEST, derived_id


def is_open(found: Request, now: int) -> bool:
    """Whether a request can still be answered."""
    return found.status == "open" and now < found.expires


def open_request(ctx: Context, request_id: str) -> Request:
    """A request that can still be answered now."""
    found = ctx.state.market.requests.get(request_id)
    if found is None:
        raise refuse(TxReason.UNKNOWN_REQUEST, f"request {request_id!r} does not exist")
    if found.status != "open":
        raise refuse(TxReason.REQUEST_NOT_OPEN, f"request {request_id!r} is {found.status}")
    if ctx.time >= found.expires:
        raise refuse(
            TxReason.REQUEST_NOT_OPEN, f"request {request_id!r} expired at {found.expires}, it is {ctx.time}"
        )
    return found


def post_request(ctx: Context) -> dict[str, Any]:
    """A certified lessee posts what it needs, until ``expires``."""
    args = ctx.args
    certified(ctx, ctx.signer, (Role.LESSEE,))
    if not ctx.time < args["expires"]:
        raise refuse(
            TxReason.BAD_ARGS, f"argument 'expires' is {args['expires']}, expected after now ({ctx.time})"
        )
    if args["term"] > MAX_LEASE_PERIODS * 86_400:
        raise refuse(
            TxReason.BAD_ARGS,
            f"argument 'term' is {args['term']} s, expected at most {MAX_LEASE_PERIODS} days",
        )
    market = ctx.state.market
    mine = [r for r in market.open_requests.get(ctx.signer, []) if is_open(market.requests[r], ctx.time)]
    if len(mine) >= MAX_OPEN_REQUESTS:
        raise refuse(
            TxReason.TOO_MANY_REQUESTS,
            f"{ctx.signer} has {len(mine)} open requests, at most {MAX_OPEN_REQUESTS}: withdraw one first",
        )
    rid = derived_id(REQUEST, ctx.signer, ctx.tx.id)
    market.open_requests[ctx.signer] = [*mine, rid]
    market.requests[rid] = Request(
        id=rid,
        lessee=ctx.signer,
        kind=args["kind"],
        specs=dict(args["specs"]),
        site=args["site"],
        start=args["start"],
        term=args["term"],
        budget=args["budget"],
        hours=args["hours"],
        posted_at=ctx.time,
        expires=args["expires"],
    )
    return {"request": rid, "expires": args["expires"]}


def withdraw_request(ctx: Context) -> dict[str, Any]:
    """The lessee withdraws its open request; its pending proposals stay signable no longer."""
    found = open_request(ctx, ctx.args["request"])
    if found.lessee != ctx.signer:
        raise refuse(TxReason.NOT_REQUESTER, f"signer {ctx.signer} did not post request {found.id!r}")
    found.status = "withdrawn"
    found.ended_at = ctx.time
    voided = []
    for lid in found.proposals:
        offer = ctx.state.leases[lid]
        if offer.status == "pending":
            close_offer(ctx, offer, "void", f"request {found.id} withdrawn")
            voided.append(lid)
    return {"request": found.id, "status": "withdrawn", "voided": voided}
