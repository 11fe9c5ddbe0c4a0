"""The marketplace's and the credit score's read endpoints (docs/market.md and docs/credit.md, 'HTTP')."""

from __future__ import annotations

import itertools
import json
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import Field

from backend import market_views as views
from backend.errors import NotFoundError
from backend.ledger import Ledger
from backend.marketplace import Order
from backend.state import State
from chain_client.credit.score import score

MAX_LIST = 1000
T = TypeVar("T")
Limit = Annotated[int, Field(ge=1, le=MAX_LIST, description="at most this many records, newest first")]


def _json(data: Any) -> Response:  # noqa: ANN401 - any JSON value
    return Response(json.dumps(data), media_type="application/json")


def newest(records: dict[str, T], limit: int) -> list[T]:
    """The last ``limit`` records added, newest first (dicts keep insertion order)."""
    return list(itertools.islice(reversed(records.values()), limit))


def _orders(state: State, service: str) -> list[Order]:
    return [state.market.orders[o] for o in state.market.service_orders.get(service, [])]


def router(ledger: Ledger) -> APIRouter:
    """The routes, reading ``ledger``'s state."""
    api = APIRouter()
    _request_routes(api, ledger)
    _listing_routes(api, ledger)
    _service_routes(api, ledger)
    return api


def _request_routes(api: APIRouter, ledger: Ledger) -> None:
    """Requests and the listings ranked for each."""

    @api.get("/v1/market/requests")
    async def requests(limit: Limit = 100) -> Response:
        """Requests, newest first."""
        found = newest(ledger.state.market.requests, limit)
        return _json([views.request(r, ledger.now()) for r in found])

    @api.get("/v1/market/requests/{request_id}")
    async def request(request_id: str) -> Response:
        """One request with its proposals."""
        found = ledger.state.market.requests.get(request_id)
        if found is None:
            raise NotFoundError("request", request_id)
        return _json(views.request(found, ledger.now()))

    @api.get("/v1/market/requests/{request_id}/matches")
    async def matches(request_id: str, limit: Limit = 20) -> Response:
        """The live listings ranked for a request, with the reasons of each place."""
        found = ledger.state.market.requests.get(request_id)
        if found is None:
            raise NotFoundError("request", request_id)
        return _json(views.matches(ledger.state, found, limit))


def _listing_routes(api: APIRouter, ledger: Ledger) -> None:
    """Listings and the manufacturers' guarantees."""

    @api.get("/v1/market/listings")
    async def listings(limit: Limit = 100) -> Response:
        """Listings, newest first."""
        state = ledger.state
        found = newest(state.market.listings, limit)
        return _json([views.listing(x, state) for x in found])

    @api.get("/v1/market/listings/{listing_id}")
    async def listing(listing_id: str) -> Response:
        """One listing."""
        found = ledger.state.market.listings.get(listing_id)
        if found is None:
            raise NotFoundError("listing", listing_id)
        return _json(views.listing(found, ledger.state))

    @api.get("/v1/market/guarantees")
    async def guarantees(limit: Limit = 100) -> Response:
        """Guarantees, newest first."""
        found = newest(ledger.state.market.guarantees, limit)
        return _json([vars(g) for g in found])


def _service_routes(api: APIRouter, ledger: Ledger) -> None:
    """Service orders, services with their ratings, and credit scores."""

    @api.get("/v1/market/orders/{order_id}")
    async def order(order_id: str) -> Response:
        """One service order with its report's hash and signature."""
        found = ledger.state.market.orders.get(order_id)
        if found is None:
            raise NotFoundError("service order", order_id)
        return _json(views.order(found))

    @api.get("/v1/market/services")
    async def services() -> Response:
        """Every certified service with its orders and ratings."""
        state = ledger.state
        accounts = sorted(a for a, e in state.enterprises.items() if "service" in e.roles)
        return _json([views.service(state, a, _orders(state, a)) for a in accounts])

    @api.get("/v1/market/services/{account}")
    async def service(account: str, limit: Limit = 100) -> Response:
        """A service's record and its orders, newest first."""
        state = ledger.state
        if account not in state.enterprises:
            raise NotFoundError("enterprise", account)
        orders = _orders(state, account)
        out = views.service(state, account, orders)
        out["history"] = [views.order(o) for o in orders[-limit:][::-1]]
        return _json(out)

    @api.get("/v1/credit/{account}")
    async def credit(account: str) -> Response:
        """An enterprise's credit score at the time of the last log entry, each factor explained."""
        if account not in ledger.state.enterprises:
            raise NotFoundError("enterprise", account)
        return _json(score(ledger.state.credit_book, account).to_json())
