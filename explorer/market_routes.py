"""The explorer's marketplace routes, added to the application by :func:`add`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from chain_client.client import LedgerClient
from explorer import market_pages
from explorer.names import Names

Page = Callable[[str, Callable[[LedgerClient, Names], dict[str, Any]]], HTMLResponse]


def add(app: FastAPI, page: Page, shown: int) -> None:
    """Add ``/market``, ``/market/request/…``, ``/market/listing/…``, ``/credit/…`` and ``/service/…``.

    Lists show ``shown`` rows a page; the query names the API's cursor of each list's page.
    """

    @app.get("/market", response_class=HTMLResponse)
    def market(requests: str | None = None, listings: str | None = None) -> HTMLResponse:
        """Requests and listings, newest first, a page of each (from the cursors given), and services."""
        return page("market.html", lambda c, n: market_pages.market(c, n, requests, listings, shown))

    @app.get("/market/request/{request_id}", response_class=HTMLResponse)
    def request(request_id: str) -> HTMLResponse:
        """A request and its ranking."""
        return page("market_request.html", lambda c, n: market_pages.request(c, n, request_id))

    @app.get("/market/listing/{listing_id}", response_class=HTMLResponse)
    def listing(listing_id: str) -> HTMLResponse:
        """A listing and its machine."""
        return page("market_listing.html", lambda c, n: market_pages.listing(c, n, listing_id))

    @app.get("/credit/{account}", response_class=HTMLResponse)
    def credit(account: str) -> HTMLResponse:
        """An enterprise's credit score with its explanation."""
        return page("credit.html", lambda c, n: market_pages.credit(c, n, account))

    @app.get("/service/{account}", response_class=HTMLResponse)
    def service(account: str, orders: str | None = None) -> HTMLResponse:
        """A service with its ratings and a page of its history (from ``orders``)."""
        return page("service.html", lambda c, n: market_pages.service(c, n, account, orders, shown))
