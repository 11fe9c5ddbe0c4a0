"""What the credit score reads: per enterprise, the facts its ledger history established.

Plain records, built by :class:`chain_client.credit.book.CreditBook` from log entries alone, and
encodable as canonical CBOR (the ledger keeps them in its state snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LeaseFact:
    """A lease the book follows: its terms, and the lessee's telemetry coverage once signed."""

    id: str
    token: str
    lessee: str
    start: int
    end: int
    period: int
    fixed_rent: int
    usage_rate: int
    grace: int
    deposit: int
    signed_at: int = 0
    closed_at: int = 0
    covered: list[int] = field(default_factory=list)  # hour slots with a verified reading, while active
    covered_count: int = 0  # what ``covered`` held in the lease's span, frozen at closing


@dataclass
class InvoiceFact:
    """An invoice: who owes it, how much, by when, and when it was paid."""

    id: str
    lease: str
    lessee: str
    amount: int
    due: int
    paid_at: int = 0


@dataclass
class GuaranteeFact:
    """A guarantee a manufacturer put in escrow."""

    id: str
    manufacturer: str
    amount: int
    settled_at: int = 0


@dataclass
class RatingFact:
    """A rating a service received."""

    service: str
    author: str
    rating: int
    time: int
    ref: str  # the order rated, or "" for a general review


@dataclass
class Party:
    """The facts of one enterprise."""

    certified_at: int = 0
    leases: list[str] = field(default_factory=list)  # as lessee, signed
    invoices: list[str] = field(default_factory=list)  # as lessee
    guarantees: list[str] = field(default_factory=list)  # as manufacturer
    ratings: list[RatingFact] = field(default_factory=list)  # as service


def plain(obj: Any) -> Any:  # noqa: ANN401 - any record, as CBOR-encodable data
    """A record as plain data (lists of records included)."""
    if isinstance(obj, list):
        return [plain(x) for x in obj]
    if hasattr(obj, "__dataclass_fields__"):
        return {k: plain(v) for k, v in vars(obj).items()}
    return obj
