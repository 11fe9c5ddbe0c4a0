"""The marketplace's and the credit score's answers, as the SDK's models (bytes as lowercase hex).

As :mod:`backend.answers`: each answer is defined once, in :mod:`chain_client.client.market_models`.
"""

from __future__ import annotations

import dataclasses

from backend.domain.market.listings import is_live
from backend.marketplace import Guarantee, Listing, Order, Request
from backend.state import State
from chain_client.client import market_models as mm
from chain_client.credit.score import Score, score
from chain_client.market.match import Candidate, Match, Need, rank
from chain_client.market.policy import deposit_cap, deposit_percent


def request(found: Request, now: int) -> mm.MarketRequest:
    """A request; an open one past its expiry shows as ``expired``."""
    out = vars(found)
    if found.status == "open" and now >= found.expires:
        out = {**out, "status": "expired"}
    return mm.MarketRequest.model_validate(out)


def listing(found: Listing, state: State) -> mm.Listing:
    """A listing with its token's model and specs; an active one no longer leasable shows ``stale``."""
    tok = state.tokens[found.token]
    out = {**vars(found), "model": tok.model, "specs": tok.specs}
    if found.status == "active" and not is_live(state, found):
        out["status"] = "stale"
    return mm.Listing.model_validate(out)


def guarantee(found: Guarantee) -> mm.Guarantee:
    """A manufacturer's guarantee."""
    return mm.Guarantee.model_validate(vars(found))


def order(found: Order) -> mm.Order:
    """A service order, its report's hash and signature in hex."""
    out = {**vars(found), "report": found.report.hex(), "report_signature": found.report_signature.hex()}
    return mm.Order.model_validate(out)


def service(state: State, account: str, orders: list[Order]) -> mm.ServiceRecord:
    """A service's public record: its orders' outcome and the ratings they received."""
    rated = [o.rating for o in orders if o.rating]
    found = state.enterprises[account]
    return mm.ServiceRecord(
        account=account,
        name=found.name,
        status=found.status,
        orders=len(orders),
        delivered=sum(1 for o in orders if o.status != "open" and o.delivered_at),
        cancelled=sum(1 for o in orders if o.status == "cancelled"),
        ratings=len(rated),
        mean_rating=round(sum(rated) / len(rated), 2) if rated else None,
    )


def _candidates(state: State, lessee: Score) -> list[Candidate]:
    """Every live listing as a candidate for a lessee of score ``lessee``, its deposit capped."""
    book = state.credit_book
    owners: dict[str, int] = {}
    candidates = []
    # A token's latest listing is the only one that can be live: the cost follows the tokens listed.
    for lid in state.market.listed.values():
        item = state.market.listings[lid]
        if not is_live(state, item):
            continue
        if item.owner not in owners:
            owners[item.owner] = score(book, item.owner).score
        candidates.append(
            Candidate(
                item.id,
                item.kind,
                state.tokens[item.token].specs,
                item.site,
                item.period,
                item.fixed_rent,
                item.usage_rate,
                deposit_cap(item.deposit, lessee),
                item.min_term,
                item.max_term,
                owners[item.owner],
            )
        )
    return candidates


def matches(state: State, found: Request, limit: int) -> mm.Matches:
    """The live listings ranked for ``found``, at most ``limit``, with the deposit policy applied."""
    lessee = score(state.credit_book, found.lessee)
    need = Need(found.kind, found.specs, found.site, found.term, found.budget, found.hours)
    ranked: list[Match] = rank(need, _candidates(state, lessee))
    return mm.Matches(
        request=found.id,
        lessee_score=lessee.score,
        lessee_band=lessee.band,
        thin_file=lessee.thin_file,
        deposit_percent=deposit_percent(lessee),
        candidates=len(ranked),
        matches=[mm.Ranked.model_validate(dataclasses.asdict(x)) for x in ranked[:limit]],
    )
