"""Ranking listings for a request: monotone in every criterion, deterministic, explained."""

from __future__ import annotations

import dataclasses
import random

from hypothesis import given
from hypothesis import strategies as st

from chain_client.market.cost import monthly_cost
from chain_client.market.match import Candidate, Need, rank

DAY = 86_400
NEED = Need(
    kind="cnc-mill", specs={"spindle": "12kW"}, site="Leipzig", term=30 * DAY, budget=40_000, hours=100
)


@st.composite
def candidates(draw: st.DrawFn, listing: str = "") -> Candidate:
    return Candidate(
        listing=listing or f"list-{draw(st.integers(0, 0xFFFF)):04x}",
        kind=draw(st.sampled_from(["cnc-mill", "lathe"])),
        specs={"spindle": draw(st.sampled_from(["12kW", "20kW"]))},
        site=draw(st.sampled_from(["Leipzig", "Halle"])),
        period=DAY,
        fixed_rent=draw(st.integers(0, 3000)),
        usage_rate=draw(st.integers(0, 200)),
        deposit=draw(st.integers(0, 100_000)),
        min_term=draw(st.sampled_from([DAY, 10 * DAY, 40 * DAY])),
        max_term=draw(st.sampled_from([30 * DAY, 365 * DAY])),
        owner_score=draw(st.integers(0, 100)),
    )


def _fits(c: Candidate) -> bool:
    return (
        c.kind == NEED.kind
        and c.specs.get("spindle") == NEED.specs["spindle"]
        and c.min_term <= NEED.term <= c.max_term
    )


def _cost(c: Candidate) -> int:
    return monthly_cost(c.period, c.fixed_rent, c.usage_rate, NEED.hours)


def _at_least_as_good(a: Candidate, b: Candidate) -> bool:
    return (
        _fits(a) >= _fits(b)
        and _cost(a) <= _cost(b)
        and a.owner_score >= b.owner_score
        and (a.site == NEED.site) >= (b.site == NEED.site)
        and a.deposit <= b.deposit
    )


Improvement = tuple[bool, int, int, int, int, bool]
IMPROVEMENTS = st.tuples(
    st.booleans(),
    st.integers(0, 500),
    st.integers(0, 50),
    st.integers(0, 1000),
    st.integers(0, 20),
    st.booleans(),
)


def _better(b: Candidate, how: Improvement) -> Candidate:
    """``b`` as ``list-a``, improved on some criteria (never worse on any)."""
    make_fit, rent, rate, deposit, credit, move = how
    if make_fit or _fits(b):
        b = dataclasses.replace(b, kind=NEED.kind, specs=dict(NEED.specs), min_term=DAY, max_term=365 * DAY)
    return dataclasses.replace(
        b,
        listing="list-a",
        fixed_rent=max(0, b.fixed_rent - rent),
        usage_rate=max(0, b.usage_rate - rate),
        deposit=max(0, b.deposit - deposit),
        owner_score=min(100, b.owner_score + credit),
        site=NEED.site if move else b.site,
    )


@given(worse=candidates(listing="list-b"), others=st.lists(candidates(), max_size=6), how=IMPROVEMENTS)
def test_a_listing_better_on_every_criterion_never_ranks_below_a_worse_one(
    worse: Candidate, others: list[Candidate], how: Improvement
) -> None:
    better = _better(worse, how)
    assert _at_least_as_good(better, worse)
    ranked = rank(NEED, [worse, *others, better])
    place = {m.listing: m.rank for m in ranked}
    # Strictly better somewhere, or equal and ahead on the id ("list-a" < "list-b"): never below.
    assert place["list-a"] < place["list-b"]


@given(st.lists(candidates(), min_size=1, max_size=8, unique_by=lambda c: c.listing), st.randoms())
def test_the_ranking_does_not_depend_on_the_order_of_the_listings(
    items: list[Candidate], rnd: random.Random
) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert rank(NEED, items) == rank(NEED, shuffled)
    assert [m.rank for m in rank(NEED, items)] == list(range(1, len(items) + 1))


@given(candidates(listing="list-0001"))
def test_equal_listings_tie_on_their_id(c: Candidate) -> None:
    twin = dataclasses.replace(c, listing="list-0000")
    assert [m.listing for m in rank(NEED, [c, twin])] == ["list-0000", "list-0001"]


def test_fitting_listings_come_first_and_say_why() -> None:
    fit = Candidate(
        "list-1", "cnc-mill", {"spindle": "12kW"}, "Halle", DAY, 1000, 36, 5000, DAY, 60 * DAY, 40
    )
    cheap_lathe = dataclasses.replace(fit, listing="list-2", kind="lathe", fixed_rent=10, owner_score=100)
    over = dataclasses.replace(fit, listing="list-3", fixed_rent=2000, site="Leipzig")
    ranked = rank(NEED, [cheap_lathe, over, fit])
    assert [m.listing for m in ranked] == ["list-1", "list-3", "list-2"]
    first = ranked[0]
    assert first.cost == 33_600
    assert first.fits
    assert first.reasons == (
        "+34: 33600 a month, within the budget of 40000",
        "+8: owner credit 40",
        "+0: at Halle, not Leipzig",
        "\u22121: deposit 5000",
    )
    assert ranked[1].reasons[0] == "\u221217: 63600 a month, over the budget of 40000"
    assert ranked[2].reasons[0] == "does not fit: a lathe, not a cnc-mill"
