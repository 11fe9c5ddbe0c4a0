"""The demo's marketplace scenes: a request matched to a listing, and an inspection delivered and rated.

The lessee posts what it needs; the manufacturer lists the first machine; the ledger ranks the
listings for the request; the manufacturer proposes on the best one and the lessee signs the offer.
Then the lessee engages an inspection service on the machine; the service delivers its signed report
and is rated. All through the SDK, as any party would.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chain_client import human
from chain_client.client import LedgerClient
from simulator.story import FIXED_RENT, LEASE_DEPOSIT, USAGE_RATE, Cast, Deal, client

DAY = 86_400
BUDGET = 2_000_000  # a month, minor units: 20,000.00
HOURS = 200  # expected machine-hours a month
INSPECTION_FEE = 25_000


@dataclass(frozen=True)
class Matched:
    """What the marketplace scenes left on the ledger."""

    request: str
    listing: str
    lease: str
    order: str = ""
    rating: int = 0


def match_and_sign(
    url: str,
    cast: Cast,
    deal: Deal,
    start: int,
    period: int,
    periods: int,
    fees: Sequence[tuple[str, int]],
    log: Callable[[str], None],
) -> Matched:
    """The lessee's request, the maker's listing, the ranking, the proposal, the signed lease."""
    term = period * periods
    with client(url, cast.lessee.key, "mkt-l") as lessee, client(url, cast.maker.key, "mkt-m") as maker:
        request = lessee.post_request(
            deal.kind, site="Bolt Fabrication, Leipzig", start=start, term=term, budget=BUDGET, hours=HOURS
        ).result["request"]
        listing = maker.list_machine(
            deal.token,
            kind=deal.kind,
            site="Bolt Fabrication, Leipzig",
            period=period,
            fixed_rent=FIXED_RENT,
            usage_rate=USAGE_RATE,
            deposit=LEASE_DEPOSIT,
            min_term=period,
            max_term=30 * period,
        ).result["listing"]
        ranking = maker.matches(request)
        best = ranking.matches[0]
        currency = maker.info().currency
        log(
            f"{cast.lessee.name} posted a request for a {deal.kind} "
            f"({human.money(BUDGET, currency)} a month); the ledger ranked {ranking.candidates} listing(s), "
            f"first {best.listing} with {best.points} points ({human.money(best.cost, currency)} a month)"
        )
        deal.lease = maker.propose(
            request,
            best.listing,
            start=start,
            deposit=best.deposit,
            grace=3 * DAY,
            fees=fees,
            expires=start + term,
        ).lease
        lessee.sign_lease(deal.lease)
    log(f"{cast.maker.name} proposed on its listing, {cast.lessee.name} signed: request {request} matched")
    return Matched(request, str(listing), deal.lease)


def report_document(deal: Deal, when: int) -> bytes:
    """The inspection report the service delivers (its SHA-256 goes on the ledger, signed)."""
    return (
        f"Acceptance inspection of {deal.kind} {deal.token}\n"
        f"date: {human.when(when)}\nresult: passed; sensor {deal.device} sealed and reporting\n"
    ).encode()


def inspect_and_rate(
    url: str, cast: Cast, deal: Deal, matched: Matched, log: Callable[[str], None]
) -> Matched:
    """The lessee engages the inspection service, which delivers a signed report and is rated."""
    with (
        client(url, cast.lessee.key, "insp-l") as lessee,
        client(url, cast.inspector.key, "insp-s") as inspector,
    ):
        order = lessee.engage_service(
            cast.inspector.account,
            deal.lease,
            "acceptance inspection",
            INSPECTION_FEE,
            int(time.time()) + DAY,
        ).result["order"]
        inspector.deliver_report(str(order), report_document(deal, int(time.time())))
        lessee.rate_service(str(order), 5, "thorough, report on the day")
        score = _score(lessee, cast.inspector.account)
    log(
        f"{cast.inspector.name} delivered a signed inspection report on {deal.lease} and was rated 5 of 5 "
        f"(its credit score: {score})"
    )
    return Matched(matched.request, matched.listing, matched.lease, str(order), 5)


def _score(reader: LedgerClient, account: str) -> str:
    found = reader.credit(account)
    return f"{found.score}, band {found.band}" + (", thin file" if found.thin_file else "")
