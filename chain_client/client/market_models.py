"""Typed models of the marketplace's and the credit score's HTTP answers (docs/market.md, docs/credit.md)."""

from __future__ import annotations

from pydantic import Field

from chain_client.client.models import Model


class MarketRequest(Model):
    """A lessee's request; ``status`` open, expired, withdrawn or matched."""

    id: str
    lessee: str
    kind: str
    specs: dict[str, str]
    site: str
    start: int
    term: int
    budget: int
    hours: int
    posted_at: int
    expires: int
    status: str
    ended_at: int = 0  # when it was withdrawn or matched
    lease: str = ""
    proposals: list[str] = Field(default_factory=list)


class Listing(Model):
    """An owner's listing; ``status`` active, stale (no longer leasable), unlisted or leased."""

    id: str
    token: str
    owner: str
    kind: str
    site: str
    period: int
    fixed_rent: int
    usage_rate: int
    deposit: int
    min_term: int
    max_term: int
    listed_at: int
    status: str
    ended_at: int = 0  # when it was unlisted or leased
    model: str = ""
    specs: dict[str, str] = Field(default_factory=dict)


class Ranked(Model):
    """One listing in a request's ranking."""

    rank: int
    listing: str
    fits: bool
    points: int
    cost: int
    owner_score: int
    deposit: int
    reasons: list[str]


class Matches(Model):
    """A request's ranking and the deposit policy applied to its lessee."""

    request: str
    lessee_score: int
    lessee_band: str
    thin_file: bool
    deposit_percent: int
    candidates: int
    matches: list[Ranked]


class ScoreLine(Model):
    """One explained contribution to a score."""

    factor: str
    points: int
    text: str


class CreditScore(Model):
    """An enterprise's credit score with every factor's contribution."""

    account: str
    at: int
    score: int
    band: str
    thin_file: bool
    base: int
    factors: dict[str, int]
    lines: list[ScoreLine]


class Order(Model):
    """A service order: engaged, delivered with a signed report hash, rated."""

    id: str
    client: str
    service: str
    subject: str
    scope: str
    fee: int
    due: int
    engaged_at: int
    status: str
    report: str
    report_signature: str
    delivered_at: int
    rating: int
    comment: str
    rated_at: int


class ServiceRecord(Model):
    """A service's public record: its orders' outcome and the ratings they received."""

    account: str
    name: str
    status: str
    orders: int
    delivered: int
    cancelled: int
    ratings: int
    mean_rating: float | None


class Service(ServiceRecord):
    """A service's public record; ``history`` only in the single-service answer."""

    history: list[Order] = Field(default_factory=list)


class Guarantee(Model):
    """A manufacturer's guarantee on a token: a security or salvage amount held until a time."""

    id: str
    token: str
    manufacturer: str
    kind: str  # security | salvage
    amount: int
    until: int
    posted_at: int
    status: str  # held | released | claimed
    settled_at: int = 0
    paid_to: str = ""
