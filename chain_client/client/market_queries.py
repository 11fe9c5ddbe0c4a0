"""The marketplace's and the credit score's read endpoints as :class:`~chain_client.client.queries.Query`."""

from __future__ import annotations

from chain_client.client import market_models as mm
from chain_client.client.queries import Query, _list, _model, _page, _seg


def market_requests(limit: int = 100, *, cursor: str | None = None) -> Query[list[mm.MarketRequest]]:
    """A page of requests, newest first (``limit`` from ``cursor``; docs/ledger.md, "Paging")."""
    return Query("/v1/market/requests", _list(mm.MarketRequest), _page(cursor, limit))


def market_request(request_id: str) -> Query[mm.MarketRequest]:
    """One request."""
    return Query(f"/v1/market/requests/{_seg(request_id)}", _model(mm.MarketRequest))


def matches(request_id: str, limit: int = 20) -> Query[mm.Matches]:
    """The live listings ranked for a request, with reasons."""
    return Query(f"/v1/market/requests/{_seg(request_id)}/matches", _model(mm.Matches), {"limit": limit})


def listings(limit: int = 100, *, cursor: str | None = None) -> Query[list[mm.Listing]]:
    """A page of listings, newest first (``limit`` from ``cursor``)."""
    return Query("/v1/market/listings", _list(mm.Listing), _page(cursor, limit))


def listing(listing_id: str) -> Query[mm.Listing]:
    """One listing."""
    return Query(f"/v1/market/listings/{_seg(listing_id)}", _model(mm.Listing))


def guarantees(limit: int = 100, *, cursor: str | None = None) -> Query[list[mm.Guarantee]]:
    """A page of manufacturers' guarantees, newest first (``limit`` from ``cursor``)."""
    return Query("/v1/market/guarantees", _list(mm.Guarantee), _page(cursor, limit))


def services() -> Query[list[mm.Service]]:
    """Every certified service with its orders and ratings."""
    return Query("/v1/market/services", _list(mm.Service))


def service(account: str, limit: int = 100, *, cursor: str | None = None) -> Query[mm.Service]:
    """A service's record with a page of its order history, newest first (``limit`` from ``cursor``)."""
    return Query(f"/v1/market/services/{_seg(account)}", _model(mm.Service), _page(cursor, limit))


def order(order_id: str) -> Query[mm.Order]:
    """One service order."""
    return Query(f"/v1/market/orders/{_seg(order_id)}", _model(mm.Order))


def credit(account: str) -> Query[mm.CreditScore]:
    """An enterprise's credit score at the time of the last log entry."""
    return Query(f"/v1/credit/{_seg(account)}", _model(mm.CreditScore))
