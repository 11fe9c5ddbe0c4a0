"""Every route's requests are counted under its own template, the marketplace's as much as the log's."""

from __future__ import annotations

import asyncio

import httpx

from backend.api import create_app
from backend.ledger import Ledger


def test_each_route_is_counted_under_its_template(ledger: Ledger) -> None:
    app = create_app(ledger)
    paths = ["/v1/tokens/nope", "/v1/market/listings/nope", "/v1/credit/nope", "/healthz", "/v1/nope"]

    async def run() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            for path in paths:
                await client.get(path)
            return (await client.get("/metrics")).text

    text = asyncio.run(run())
    for route, status in [
        ("/v1/tokens/{token_id}", 404),
        ("/v1/market/listings/{listing_id}", 404),
        ("/v1/credit/{account}", 404),
        ("/healthz", 200),
        ("other", 404),  # an unknown path
    ]:
        line = f'leasechain_backend_http_requests_total{{method="GET",route="{route}",status="{status}"}} 1.0'
        assert line in text, route
