"""What the HTTP API reads of the marketplace and the credit book (docs/market.md, docs/credit.md).

As :class:`backend.reads.Reads`: the routes go through :class:`MarketReads` alone, and each answer
is one of the SDK's models.  Nothing here touches the database.
"""

from __future__ import annotations

import itertools
from typing import TypeVar

from backend import market_answers as answers
from backend.errors import NotFoundError
from backend.ledger import Ledger
from backend.marketplace import Order, Request
from backend.state import State
from chain_client.client import market_models as mm
from chain_client.credit.score import score

T = TypeVar("T")


def newest(records: dict[str, T], limit: int) -> list[T]:
    """The last ``limit`` records added, newest first (dicts keep insertion order)."""
    return list(itertools.islice(reversed(records.values()), limit))


def _orders(state: State, service: str) -> list[Order]:
    return [state.market.orders[o] for o in state.market.service_orders.get(service, [])]


class MarketReads:
    """The read side of one ledger's marketplace."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def requests(self, limit: int) -> list[mm.MarketRequest]:
        """Requests, newest first."""
        now = self._ledger.now()
        return [answers.request(r, now) for r in newest(self._ledger.state.market.requests, limit)]

    def _request(self, request_id: str) -> Request:
        found = self._ledger.state.market.requests.get(request_id)
        if found is None:
            raise NotFoundError("request", request_id)
        return found

    def request(self, request_id: str) -> mm.MarketRequest:
        """One request with its proposals."""
        return answers.request(self._request(request_id), self._ledger.now())

    def matches(self, request_id: str, limit: int) -> mm.Matches:
        """The live listings ranked for a request."""
        return answers.matches(self._ledger.state, self._request(request_id), limit)

    def listings(self, limit: int) -> list[mm.Listing]:
        """Listings, newest first."""
        state = self._ledger.state
        return [answers.listing(x, state) for x in newest(state.market.listings, limit)]

    def listing(self, listing_id: str) -> mm.Listing:
        """One listing."""
        found = self._ledger.state.market.listings.get(listing_id)
        if found is None:
            raise NotFoundError("listing", listing_id)
        return answers.listing(found, self._ledger.state)

    def guarantees(self, limit: int) -> list[mm.Guarantee]:
        """Guarantees, newest first."""
        return [answers.guarantee(g) for g in newest(self._ledger.state.market.guarantees, limit)]

    def order(self, order_id: str) -> mm.Order:
        """One service order."""
        found = self._ledger.state.market.orders.get(order_id)
        if found is None:
            raise NotFoundError("service order", order_id)
        return answers.order(found)

    def services(self) -> list[mm.ServiceRecord]:
        """Every certified service's record, by account."""
        state = self._ledger.state
        accounts = sorted(a for a, e in state.enterprises.items() if "service" in e.roles)
        return [answers.service(state, a, _orders(state, a)) for a in accounts]

    def service(self, account: str, limit: int) -> mm.Service:
        """A service's record and its last ``limit`` orders, newest first."""
        state = self._ledger.state
        if account not in state.enterprises:
            raise NotFoundError("enterprise", account)
        orders = _orders(state, account)
        history = [answers.order(o) for o in orders[-limit:][::-1]]
        return mm.Service(**dict(answers.service(state, account, orders)), history=history)

    def credit(self, account: str) -> mm.CreditScore:
        """An enterprise's credit score at the time of the last log entry, each factor explained."""
        if account not in self._ledger.state.enterprises:
            raise NotFoundError("enterprise", account)
        return mm.CreditScore.model_validate(score(self._ledger.state.credit_book, account).to_json())
