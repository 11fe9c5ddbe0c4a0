"""The marketplace's and the credit score's read endpoints (docs/market.md and docs/credit.md, 'HTTP')."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from backend import paging
from backend.paging import CursorParam
from backend.routes.context import Context, answer, answer_list
from chain_client.client import market_models as mm

MAX_LIST = paging.MAX_PAGE
Limit = Annotated[int, Field(ge=1, le=MAX_LIST, description="at most this many records, newest first")]


def add(api: APIRouter, context: Context) -> None:
    """``/v1/market/...`` and ``/v1/credit/{account}``."""
    _request_routes(api, context)
    _listing_routes(api, context)
    _service_routes(api, context)


def _request_routes(api: APIRouter, context: Context) -> None:
    """Requests and the listings ranked for each."""
    market = context.reads.market

    @api.get("/v1/market/requests", response_model=list[mm.MarketRequest])
    async def requests(request: Request, limit: Limit = 100, cursor: CursorParam = None) -> Response:
        """Requests, newest first, a page at a time (docs: Paging)."""
        after = paging.newest_key(context.after("market/requests", cursor), "request") if cursor else None
        found, last = market.requests(after, limit)
        return context.page_list(request, found, "market/requests", last)

    @api.get("/v1/market/requests/{request_id}", response_model=mm.MarketRequest)
    async def request(request_id: str) -> Response:
        """One request with its proposals."""
        return answer(market.request(request_id))

    @api.get("/v1/market/requests/{request_id}/matches", response_model=mm.Matches)
    async def matches(request_id: str, limit: Limit = 20) -> Response:
        """The live listings ranked for a request, with the reasons of each place."""
        return answer(market.matches(request_id, limit))


def _listing_routes(api: APIRouter, context: Context) -> None:
    """Listings and the manufacturers' guarantees."""
    market = context.reads.market

    @api.get("/v1/market/listings", response_model=list[mm.Listing])
    async def listings(request: Request, limit: Limit = 100, cursor: CursorParam = None) -> Response:
        """Listings, newest first, a page at a time (docs: Paging)."""
        after = paging.newest_key(context.after("market/listings", cursor), "listing") if cursor else None
        found, last = market.listings(after, limit)
        return context.page_list(request, found, "market/listings", last)

    @api.get("/v1/market/listings/{listing_id}", response_model=mm.Listing)
    async def listing(listing_id: str) -> Response:
        """One listing."""
        return answer(market.listing(listing_id))

    @api.get("/v1/market/guarantees", response_model=list[mm.Guarantee])
    async def guarantees(request: Request, limit: Limit = 100, cursor: CursorParam = None) -> Response:
        """Guarantees, newest first, a page at a time (docs: Paging)."""
        after = paging.newest_key(context.after("market/guarantees", cursor), "guarantee") if cursor else None
        found, last = market.guarantees(after, limit)
        return context.page_list(request, found, "market/guarantees", last)


def _service_routes(api: APIRouter, context: Context) -> None:
    """Service orders, services with their ratings, and credit scores."""
    market = context.reads.market

    @api.get("/v1/market/orders/{order_id}", response_model=mm.Order)
    async def order(order_id: str) -> Response:
        """One service order with its report's hash and signature."""
        return answer(market.order(order_id))

    @api.get("/v1/market/services", response_model=list[mm.ServiceRecord])
    async def services() -> Response:
        """Every certified service with its orders and ratings."""
        return answer_list(market.services())

    @api.get("/v1/market/services/{account}", response_model=mm.Service)
    async def service(
        request: Request, account: str, limit: Limit = 100, cursor: CursorParam = None
    ) -> Response:
        """A service's record and its orders, newest first, a page of orders at a time (docs: Paging)."""
        listing = f"market/services:{account}"
        below = paging.int_keys(context.after(listing, cursor), 1, "service history")[0] if cursor else None
        found, last = market.service(account, below, limit)
        return context.page(request, found, listing, last)

    @api.get("/v1/credit/{account}", response_model=mm.CreditScore)
    async def credit(account: str) -> Response:
        """An enterprise's credit score at the time of the last log entry, each factor explained."""
        return answer(market.credit(account))
