"""What the HTTP API reads of the marketplace and the credit book (docs/market.md, docs/credit.md).

As :class:`backend.reads.Reads`: the routes go through :class:`MarketReads` alone, and each answer
is one of the SDK's models.  Nothing here touches the database.
"""

from __future__ import annotations

from typing import TypeVar

from backend import market_answers as answers
from backend import paging
from backend.errors import NotFoundError
from backend.ledger import Ledger
from backend.marketplace import Guarantee, Listing, Order, Request
from backend.state import State
from chain_client.cbor import CBORValue
from chain_client.client import market_models as mm
from chain_client.credit.score import score

T = TypeVar("T")
After = tuple[int, str] | None  # the (time, id) a newest-first page resumes below
Page = tuple[list[T], list[CBORValue] | None]  # rows and the next page's cursor key


def _request_key(found: Request) -> tuple[int, str]:
    return found.posted_at, found.id


def _listing_key(found: Listing) -> tuple[int, str]:
    return found.listed_at, found.id


def _guarantee_key(found: Guarantee) -> tuple[int, str]:
    return found.posted_at, found.id


def _orders(state: State, service: str) -> list[Order]:
    return [state.market.orders[o] for o in state.market.service_orders.get(service, [])]


class MarketReads:
    """The read side of one ledger's marketplace."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._requests = paging.NewestIndex(_request_key)
        self._listings = paging.NewestIndex(_listing_key)
        self._guarantees = paging.NewestIndex(_guarantee_key)

    def requests(self, after: After, limit: int) -> Page[mm.MarketRequest]:
        """A page of requests, newest first (by time posted, then id)."""
        now = self._ledger.now()
        found, last = self._requests.page(self._ledger.state.market.requests, after, limit)
        return [answers.request(r, now) for r in found], last

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

    def listings(self, after: After, limit: int) -> Page[mm.Listing]:
        """A page of listings, newest first (by time listed, then id)."""
        state = self._ledger.state
        found, last = self._listings.page(state.market.listings, after, limit)
        return [answers.listing(x, state) for x in found], last

    def listing(self, listing_id: str) -> mm.Listing:
        """One listing."""
        found = self._ledger.state.market.listings.get(listing_id)
        if found is None:
            raise NotFoundError("listing", listing_id)
        return answers.listing(found, self._ledger.state)

    def guarantees(self, after: After, limit: int) -> Page[mm.Guarantee]:
        """A page of guarantees, newest first (by time posted, then id)."""
        found, last = self._guarantees.page(self._ledger.state.market.guarantees, after, limit)
        return [answers.guarantee(g) for g in found], last

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

    def service(
        self, account: str, below: int | None, limit: int
    ) -> tuple[mm.Service, list[CBORValue] | None]:
        """A service's record and a page of its orders, newest first, below position ``below``.

        A service's orders are kept in the order they were made and never removed, so a position in
        that list is a stable key.
        """
        state = self._ledger.state
        if account not in state.enterprises:
            raise NotFoundError("enterprise", account)
        orders = _orders(state, account)
        positions, last = paging.newest_positions(len(orders), below, limit)
        history = [answers.order(orders[i]) for i in positions]
        return mm.Service(**dict(answers.service(state, account, orders)), history=history), last

    def credit(self, account: str) -> mm.CreditScore:
        """An enterprise's credit score at the time of the last log entry, each factor explained."""
        if account not in self._ledger.state.enterprises:
            raise NotFoundError("enterprise", account)
        return mm.CreditScore.model_validate(score(self._ledger.state.credit_book, account).to_json())
