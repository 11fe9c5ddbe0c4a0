"""What the marketplace's pages show: requests, listings, a request's ranking, scores, services."""

from __future__ import annotations

from typing import Any

from chain_client.client import LedgerClient
from chain_client.client import market_queries as mq
from explorer.names import Names

SHOWN = 100


def market(
    client: LedgerClient,
    names: Names,
    requests: str | None = None,
    listings: str | None = None,
    size: int = SHOWN,
) -> dict[str, Any]:
    """A page of requests and one of listings, newest first, from the cursors given; the services.

    Each list pages on its own: a link to the next page of one keeps the other's page.
    """
    shown_requests = client.run_page(mq.market_requests(size, cursor=requests))
    shown_listings = client.run_page(mq.listings(size, cursor=listings))
    return {
        "requests": shown_requests.items,
        "requests_cursor": requests,
        "requests_next": shown_requests.next_cursor,
        "listings": shown_listings.items,
        "listings_cursor": listings,
        "listings_next": shown_listings.next_cursor,
        "services": client.services(),
    }


def request(client: LedgerClient, names: Names, request_id: str) -> dict[str, Any]:
    """A request and the listings ranked for it, with the reasons."""
    return {"request": client.market_request(request_id), "ranking": client.matches(request_id, 20)}


def listing(client: LedgerClient, names: Names, listing_id: str) -> dict[str, Any]:
    """A listing with its machine."""
    found = client.listing(listing_id)
    return {"listing": found, "token": client.token(found.token)}


def credit(client: LedgerClient, names: Names, account: str) -> dict[str, Any]:
    """An enterprise's credit score, each line explained."""
    return {"account": account, "score": client.credit(account)}


def service(
    client: LedgerClient, names: Names, account: str, orders: str | None = None, size: int = SHOWN
) -> dict[str, Any]:
    """A service's record, ratings and a page of its order history, newest first, from ``orders``."""
    shown = client.run_page(mq.service(account, size, cursor=orders))
    return {"service": shown.items, "orders_next": shown.next_cursor, "orders_paged": orders is not None}
