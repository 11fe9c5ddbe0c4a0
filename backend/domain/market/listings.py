"""Machines on offer: one live listing per token, bounded per owner, with the terms a proposal keeps."""

from __future__ import annotations

from typing import Any

from backend.domain.context import Context, owned_token, refuse
from backend.marketplace import Listing
from backend.state import State
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import MAX_LEASE_PERIODS, MAX_OPEN_LISTINGS
from chain_client.market.ids import LISTING, derived_id


def is_live(state: State, found: Listing) -> bool:
    """Active, its lister still owns the token, and the token is neither retired nor leased."""
    tok = state.tokens[found.token]
    return found.status == "active" and tok.owner == found.owner and tok.status != "retired" and not tok.lease


def live_listing(ctx: Context, listing_id: str) -> Listing:
    """A listing a proposal may be made on now."""
    found = ctx.state.market.listings.get(listing_id)
    if found is None:
        raise refuse(TxReason.UNKNOWN_LISTING, f"listing {listing_id!r} does not exist")
    if not is_live(ctx.state, found):
        tok = ctx.state.tokens[found.token]
        raise refuse(
            TxReason.LISTING_NOT_ACTIVE,
            f"listing {listing_id!r} is {found.status}; "
            f"token {tok.id!r} is {tok.status}, owned by {tok.owner}",
        )
    return found


def _check_terms(args: dict[str, Any]) -> None:
    period, low, high = args["period"], args["min_term"], args["max_term"]
    if low > high or low % period or high % period or high // period > MAX_LEASE_PERIODS:
        raise refuse(
            TxReason.TERM_OUT_OF_RANGE,
            f"terms {low}..{high} s must be ordered multiples of the period {period} s "
            f"of at most {MAX_LEASE_PERIODS} periods",
        )


def list_machine(ctx: Context) -> dict[str, Any]:
    """The owner lists its token on the stated terms."""
    args = ctx.args
    tok = owned_token(ctx, args["token"])
    _check_terms(args)
    if tok.lease:
        raise refuse(TxReason.TOKEN_ALREADY_LEASED, f"token {tok.id!r} is under active lease {tok.lease!r}")
    market = ctx.state.market
    current = market.listings.get(market.listed.get(tok.id, ""))
    if current is not None and is_live(ctx.state, current):
        raise refuse(TxReason.TOKEN_LISTED, f"token {tok.id!r} is listed as {current.id!r}: unlist it first")
    mine = [x for x in market.open_listings.get(ctx.signer, []) if is_live(ctx.state, market.listings[x])]
    if len(mine) >= MAX_OPEN_LISTINGS:
        raise refuse(
            TxReason.TOO_MANY_LISTINGS,
            f"{ctx.signer} has {len(mine)} live listings, at most {MAX_OPEN_LISTINGS}: unlist one first",
        )
    if current is not None and current.status == "active":
        current.status, current.ended_at = "unlisted", ctx.time  # a former owner's, no longer live
    lid = derived_id(LISTING, ctx.signer, ctx.tx.id)
    market.listings[lid] = Listing(
        id=lid,
        token=tok.id,
        owner=ctx.signer,
        kind=args["kind"],
        site=args["site"],
        period=args["period"],
        fixed_rent=args["fixed_rent"],
        usage_rate=args["usage_rate"],
        deposit=args["deposit"],
        min_term=args["min_term"],
        max_term=args["max_term"],
        listed_at=ctx.time,
    )
    market.listed[tok.id] = lid
    market.open_listings[ctx.signer] = [*mine, lid]
    return {"listing": lid, "token": tok.id}


def unlist(ctx: Context) -> dict[str, Any]:
    """The lister takes its listing down."""
    found = ctx.state.market.listings.get(ctx.args["listing"])
    if found is None:
        raise refuse(TxReason.UNKNOWN_LISTING, f"listing {ctx.args['listing']!r} does not exist")
    if found.owner != ctx.signer:
        raise refuse(TxReason.NOT_OWNER, f"signer {ctx.signer} did not list {found.id!r}")
    if found.status != "active":
        raise refuse(TxReason.LISTING_NOT_ACTIVE, f"listing {found.id!r} is {found.status}")
    found.status, found.ended_at = "unlisted", ctx.time
    return {"listing": found.id, "status": "unlisted"}
