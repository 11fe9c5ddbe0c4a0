"""The marketplace's records: requests, listings, guarantees and service orders (docs/market.md).

They live beside the rest of the state and go into its snapshot under ``market`` once the log has
any of them, so a ledger without marketplace activity keeps the digest it always had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    """A lessee's posted need."""

    id: str
    lessee: str
    kind: str
    specs: dict[str, str]
    site: str
    start: int
    term: int
    budget: int  # the most per 30 days, fixed rent and expected usage together
    hours: int  # expected machine-hours per 30 days
    posted_at: int
    expires: int
    status: str = "open"  # open | withdrawn | matched
    ended_at: int = 0
    lease: str = ""  # the signed proposal, once matched
    proposals: list[str] = field(default_factory=list)


@dataclass
class Listing:
    """An owner's machine on offer, with its terms."""

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
    status: str = "active"  # active | unlisted | leased
    ended_at: int = 0


@dataclass
class Guarantee:
    """A manufacturer's security deposit or salvage guarantee on a token, held in escrow."""

    id: str
    token: str
    manufacturer: str
    kind: str  # security | salvage
    amount: int
    until: int
    posted_at: int
    status: str = "held"  # held | released | claimed
    settled_at: int = 0
    paid_to: str = ""


@dataclass
class Order:
    """A third-party service engaged on a machine or a lease."""

    id: str
    client: str
    service: str
    subject: str
    scope: str
    fee: int
    due: int
    engaged_at: int
    status: str = "open"  # open | delivered | cancelled
    report: bytes = b""
    report_signature: bytes = b""
    delivered_at: int = 0
    rating: int = 0
    comment: str = ""
    rated_at: int = 0


@dataclass
class Market:
    """Every marketplace record, and the indexes its bounds are checked against."""

    requests: dict[str, Request] = field(default_factory=dict)
    listings: dict[str, Listing] = field(default_factory=dict)
    guarantees: dict[str, Guarantee] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    listed: dict[str, str] = field(default_factory=dict)  # token -> its latest listing
    proposed: dict[str, str] = field(default_factory=dict)  # lease offer -> the request it answers
    # Per party, the ids that may still be open (pruned when the party adds one): the bounds are
    # checked against these, so their cost follows the party's own activity.
    open_requests: dict[str, list[str]] = field(default_factory=dict)
    open_listings: dict[str, list[str]] = field(default_factory=dict)
    open_orders: dict[str, list[str]] = field(default_factory=dict)
    service_orders: dict[str, list[str]] = field(default_factory=dict)  # service -> its orders, oldest first
    token_guarantees: dict[str, list[str]] = field(default_factory=dict)  # token -> its guarantees held

    def empty(self) -> bool:
        """Whether the log has no marketplace record yet."""
        return not (self.requests or self.listings or self.guarantees or self.orders)

    def snapshot(self) -> dict[str, Any]:
        """Plain, canonical-CBOR-encodable form (read only, to be encoded)."""
        return {
            "requests": {k: vars(v) for k, v in self.requests.items()},
            "listings": {k: vars(v) for k, v in self.listings.items()},
            "guarantees": {k: vars(v) for k, v in self.guarantees.items()},
            "orders": {k: vars(v) for k, v in self.orders.items()},
            "listed": self.listed,
            "proposed": self.proposed,
            "open_requests": self.open_requests,
            "open_listings": self.open_listings,
            "open_orders": self.open_orders,
            "service_orders": self.service_orders,
            "token_guarantees": self.token_guarantees,
        }

    @classmethod
    def restore(cls, data: dict[str, Any]) -> Market:
        """The inverse of :meth:`snapshot`."""
        return cls(
            requests={k: Request(**v) for k, v in data["requests"].items()},
            listings={k: Listing(**v) for k, v in data["listings"].items()},
            guarantees={k: Guarantee(**v) for k, v in data["guarantees"].items()},
            orders={k: Order(**v) for k, v in data["orders"].items()},
            listed=dict(data["listed"]),
            proposed=dict(data["proposed"]),
            open_requests={k: list(v) for k, v in data["open_requests"].items()},
            open_listings={k: list(v) for k, v in data["open_listings"].items()},
            open_orders={k: list(v) for k, v in data["open_orders"].items()},
            service_orders={k: list(v) for k, v in data["service_orders"].items()},
            token_guarantees={k: list(v) for k, v in data["token_guarantees"].items()},
        )
