"""Ranking the listings for a request (docs/market.md, 'Matching'): deterministic, with reasons.

A listing *fits* when its kind and its token's specs are what the request names and the request's term
is within its terms; fitting listings come first. Among them, points reward a price within budget and
below it, the owner's credit, the same site and a small deposit; each part is monotone, so a listing
at least as good on every criterion never ranks below one that is worse. Ties go to the lower monthly
cost, then the better owner credit, then the smaller deposit, then the smaller listing id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chain_client.credit.score import signed
from chain_client.market.cost import monthly_cost

BUDGET_POINTS = 30
PRICE_POINTS = 30
CREDIT_POINTS = 20
SITE_POINTS = 10
DEPOSIT_POINTS = 10


@dataclass(frozen=True)
class Need:
    """What a request asks for."""

    kind: str
    specs: Mapping[str, str]
    site: str
    term: int
    budget: int  # per 30 days
    hours: int  # expected machine-hours per 30 days


@dataclass(frozen=True)
class Candidate:
    """A live listing, its token's specs and its owner's credit score."""

    listing: str
    kind: str
    specs: Mapping[str, str]
    site: str
    period: int
    fixed_rent: int
    usage_rate: int
    deposit: int  # what this lessee would be asked (after the deposit policy)
    min_term: int
    max_term: int
    owner_score: int


@dataclass(frozen=True)
class Match:
    """One ranked listing: its place, points, whether it fits, its monthly cost, and why."""

    rank: int
    listing: str
    fits: bool
    points: int
    cost: int
    owner_score: int
    deposit: int
    reasons: tuple[str, ...]


def _misfits(need: Need, c: Candidate) -> list[str]:
    wrong = [] if c.kind == need.kind else [f"a {c.kind}, not a {need.kind}"]
    wrong += [
        f"{k} is {c.specs.get(k)!r}, not {v!r}" for k, v in sorted(need.specs.items()) if c.specs.get(k) != v
    ]
    if not c.min_term <= need.term <= c.max_term or need.term % c.period:
        wrong.append(
            f"term {need.term // 86_400} days is outside {c.min_term // 86_400}..{c.max_term // 86_400} days"
        )
    return wrong


def _points(need: Need, c: Candidate, cost: int) -> tuple[int, list[str]]:
    budget = max(1, need.budget)
    if cost <= need.budget:
        price = BUDGET_POINTS + PRICE_POINTS * (need.budget - cost) // budget
        reasons = [f"{signed(price)}: {cost} a month, within the budget of {need.budget}"]
    else:
        price = -min(PRICE_POINTS, PRICE_POINTS * (cost - need.budget) // budget)
        reasons = [f"{signed(price)}: {cost} a month, over the budget of {need.budget}"]
    credit = CREDIT_POINTS * c.owner_score // 100
    reasons.append(f"{signed(credit)}: owner credit {c.owner_score}")
    site = SITE_POINTS if c.site == need.site else 0
    reasons.append(
        f"{signed(site)}: at {c.site}" + (" (the request's site)" if site else f", not {need.site}")
    )
    deposit = -min(DEPOSIT_POINTS, DEPOSIT_POINTS * c.deposit // budget)
    reasons.append(f"{signed(deposit)}: deposit {c.deposit}")
    return price + credit + site + deposit, reasons


def rank(need: Need, candidates: Iterable[Candidate]) -> list[Match]:
    """The candidates in ranking order, each with its points and reasons."""
    scored = []
    for c in candidates:
        cost = monthly_cost(c.period, c.fixed_rent, c.usage_rate, need.hours)
        misfits = _misfits(need, c)
        points, reasons = _points(need, c, cost)
        reasons = [f"does not fit: {m}" for m in misfits] + reasons
        key = (bool(misfits), -points, cost, -c.owner_score, c.deposit, c.listing)
        scored.append((key, c, cost, points, tuple(reasons)))
    scored.sort(key=lambda s: s[0])
    return [
        Match(i + 1, c.listing, not key[0], points, cost, c.owner_score, c.deposit, reasons)
        for i, (key, c, cost, points, reasons) in enumerate(scored)
    ]
