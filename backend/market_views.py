"""JSON views of the marketplace and the credit score for the HTTP API (bytes as lowercase hex)."""

from __future__ import annotations

import dataclasses
from typing import Any

from backend.domain.market.listings import is_live
from backend.marketplace import Listing, Order, Request
from backend.state import State
from chain_client.credit.score import score
from chain_client.market.match import Candidate, Match, Need, rank
from chain_client.market.policy import deposit_cap, deposit_percent


def request(found: Request, now: int) -> dict[str, Any]:
    """A request; an open one past its expiry shows as ``expired``."""
    out = dataclasses.asdict(found)
    if found.status == "open" and now >= found.expires:
        out["status"] = "expired"
    return out


def listing(found: Listing, state: State) -> dict[str, Any]:
    """A listing with its token's model and specs; an active one no longer leasable shows ``stale``."""
    out = dataclasses.asdict(found)
    tok = state.tokens[found.token]
    out["model"], out["specs"] = tok.model, tok.specs
    if found.status == "active" and not is_live(state, found):
        out["status"] = "stale"
    return out


def order(found: Order) -> dict[str, Any]:
    """A service order, its report's hash and signature in hex."""
    out = dataclasses.asdict(found)
    out["report"], out["report_signature"] = found.report.hex(), found.report_signature.hex()
    return out


def service(state: State, account: str, orders: list[Order]) -> dict[str, Any]:
    """A service's public record: its orders' outcome and the ratings they received."""
    rated = [o.rating for o in orders if o.rating]
    found = state.enterprises[account]
    return {
        "account": account,
        "name": found.name,
        "status": found.status,
        "orders": len(orders),
        "delivered": sum(1 for o in orders if o.status != "open" and o.delivered_at),
        "cancelled": sum(1 for o in orders if o.status == "cancelled"),
        "ratings": len(rated),
        "mean_rating": round(sum(rated) / len(rated), 2) if rated else None,
    }


def matches(state: State, found: Request, limit: int) -> dict[str, Any]:
    """The live listings ranked for ``found``, at most ``limit``, with the deposit policy applied."""
    book = state.credit_book
    lessee = score(book, found.lessee)
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
    need = Need(found.kind, found.specs, found.site, found.term, found.budget, found.hours)
    ranked: list[Match] = rank(need, candidates)
    return {
        "request": found.id,
        "lessee_score": lessee.score,
        "lessee_band": lessee.band,
        "thin_file": lessee.thin_file,
        "deposit_percent": deposit_percent(lessee),
        "candidates": len(ranked),
        "matches": [dataclasses.asdict(m) for m in ranked[:limit]],
    }
