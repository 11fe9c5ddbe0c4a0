"""An owner's answer to a request: a lease offer on a listing's terms, signed through ``sign_lease``."""

from __future__ import annotations

import dataclasses
from typing import Any

from backend.domain import leases
from backend.domain.context import Context, refuse
from backend.domain.market.listings import live_listing
from backend.domain.market.requests import open_request
from backend.marketplace import Listing, Request
from chain_client.credit.score import score
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import MAX_PROPOSALS
from chain_client.market.cost import monthly_cost
from chain_client.market.policy import deposit_cap, deposit_percent


def _check_fit(ctx: Context, request: Request, listing: Listing) -> None:
    if listing.kind != request.kind:
        raise refuse(
            TxReason.KIND_MISMATCH,
            f"listing {listing.id!r} is a {listing.kind!r}, the request wants {request.kind!r}",
        )
    specs = ctx.state.tokens[listing.token].specs
    for key, wanted in sorted(request.specs.items()):
        if specs.get(key) != wanted:
            raise refuse(
                TxReason.KIND_MISMATCH,
                f"request wants {key}={wanted!r}, token {listing.token!r} has {specs.get(key)!r}",
            )
    if not listing.min_term <= request.term <= listing.max_term or request.term % listing.period:
        raise refuse(
            TxReason.TERM_OUT_OF_RANGE,
            f"request term {request.term} s is not a multiple of {listing.period} s "
            f"in {listing.min_term}..{listing.max_term} s",
        )
    cost = monthly_cost(listing.period, listing.fixed_rent, listing.usage_rate, request.hours)
    if cost > request.budget:
        raise refuse(
            TxReason.OVER_BUDGET,
            f"listing {listing.id!r} costs {cost} a month at {request.hours} h, "
            f"the budget is {request.budget}",
        )


def propose(ctx: Context) -> dict[str, Any]:
    """Offer the listed token to the request's lessee on the listing's terms and the request's term."""
    args = ctx.args
    request = open_request(ctx, args["request"])
    listing = live_listing(ctx, args["listing"])
    if listing.owner != ctx.signer:
        raise refuse(TxReason.NOT_OWNER, f"signer {ctx.signer} did not list {listing.id!r}")
    _check_fit(ctx, request, listing)
    if args["start"] < request.start:
        raise refuse(
            TxReason.BAD_ARGS, f"argument 'start' is {args['start']}, the request starts at {request.start}"
        )
    credit = score(ctx.state.credit_book, request.lessee, ctx.time)
    cap = deposit_cap(listing.deposit, credit)
    thin = " (thin file)" if credit.thin_file else ""
    if args["deposit"] > cap:
        raise refuse(
            TxReason.DEPOSIT_ABOVE_POLICY,
            f"deposit {args['deposit']} is over {cap}: {deposit_percent(credit)}% of the listed "
            f"{listing.deposit} for a lessee in band {credit.band}{thin}",
        )
    pending = [p for p in request.proposals if ctx.state.leases[p].status == "pending"]
    if len(pending) >= MAX_PROPOSALS:
        raise refuse(
            TxReason.TOO_MANY_PROPOSALS,
            f"request {request.id!r} has {len(pending)} pending proposals, at most {MAX_PROPOSALS}",
        )
    offer = {
        "token": listing.token,
        "lessee": request.lessee,
        "start": args["start"],
        "end": args["start"] + request.term,
        "period": listing.period,
        "fixed_rent": listing.fixed_rent,
        "usage_rate": listing.usage_rate,
        "deposit": args["deposit"],
        "grace": args["grace"],
        "fees": args["fees"],
        "expires": args["expires"],
    }
    result = leases.offer_lease(dataclasses.replace(ctx, args=offer))
    request.proposals = [*pending, result["lease"]]
    ctx.state.market.proposed[result["lease"]] = request.id
    return {**result, "request": request.id, "listing": listing.id, "deposit_cap": cap}


def sign_lease(ctx: Context) -> dict[str, Any]:
    """``sign_lease``, and then the marketplace: the answered request is matched, the listing leased."""
    result = leases.sign_lease(ctx)
    market, lid = ctx.state.market, result["lease"]
    rid = market.proposed.pop(lid, "")
    if rid:
        request = market.requests[rid]
        request.status, request.ended_at, request.lease = "matched", ctx.time, lid
        result["request"] = rid
    token = ctx.state.leases[lid].token
    listing = market.listings.get(market.listed.get(token, ""))
    if listing is not None and listing.status == "active":
        listing.status, listing.ended_at = "leased", ctx.time
    return result
