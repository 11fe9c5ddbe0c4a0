"""What the marketplace's pages show: requests, listings, a request's ranking, scores, services."""

from __future__ import annotations

from typing import Any

from chain_client.client import LedgerClient
from explorer.names import Names

SHOWN = 100


def market(client: LedgerClient, names: Names) -> dict[str, Any]:
    """Requests and listings, newest first, and the services with their ratings."""
    return {
        "requests": client.market_requests(SHOWN),
        "listings": client.listings(SHOWN),
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


def service(client: LedgerClient, names: Names, account: str) -> dict[str, Any]:
    """A service's record, ratings and order history."""
    return {"service": client.service(account, SHOWN)}
