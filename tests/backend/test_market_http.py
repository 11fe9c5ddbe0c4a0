"""The marketplace's read endpoints on a ledger with every kind of record."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx

from backend.api import create_app
from backend.ledger import Ledger
from chain_client.market.report import sign_report
from tests.backend.market_world import market
from tests.backend.world import DAY, World


def _get(ledger: Ledger, *paths: str) -> list[tuple[int, Any]]:
    async def run() -> list[tuple[int, Any]]:
        transport = httpx.ASGITransport(app=create_app(ledger))
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            answers = [await client.get(p) for p in paths]
        return [(a.status_code, a.json()) for a in answers]

    return asyncio.run(run())


def test_the_market_endpoints(world: World, ledger: Ledger) -> None:
    m = market(world)
    request, listing = m.request(), m.listing()
    other = m.request(kind="lathe", expires=world.clock.now + DAY)
    gid = world.do(
        m.maker, "post_guarantee", token=m.token, kind="salvage", amount=10, until=world.clock.now + DAY
    )
    order = world.do(
        m.lessee,
        "engage_service",
        service=m.service.account,
        subject=m.token,
        scope="inspection",
        fee=7,
        due=world.clock.now + DAY,
    )["order"]
    report = hashlib.sha256(b"report").digest()
    world.do(
        m.service,
        "deliver_report",
        order=order,
        report=report,
        signature=sign_report(m.service.key, order, report),
    )
    world.do(m.lessee, "rate_service", order=order, rating=4, comment="ok")
    world.clock.advance(DAY)
    answers = _get(
        ledger,
        "/v1/market/requests",
        f"/v1/market/requests/{request}/matches",
        f"/v1/market/listings/{listing}",
        "/v1/market/guarantees",
        f"/v1/market/orders/{order}",
        "/v1/market/services",
        f"/v1/credit/{m.service.account}",
        "/v1/market/requests/req-nope",
        "/v1/market/requests?limit=0",
        "/v1/market/listings?limit=1001",
        f"/v1/credit/{'0' * 64}",
    )
    (s1, requests), (s2, matches), (s3, shown), (s4, guarantees), (s5, got), (s6, services), (s7, credit) = (
        answers[:7]
    )
    assert {s1, s2, s3, s4, s5, s6, s7} == {200}
    assert [(r["id"], r["status"]) for r in requests] == [(other, "expired"), (request, "open")]
    assert (matches["candidates"], matches["matches"][0]["listing"], matches["matches"][0]["fits"]) == (
        1,
        listing,
        True,
    )
    assert (shown["status"], shown["specs"]) == ("active", {"spindle": "12kW"})
    assert [g["id"] for g in guarantees] == [gid["guarantee"]]
    assert (got["report"], got["rating"], len(bytes.fromhex(got["report_signature"]))) == (
        report.hex(),
        4,
        64,
    )
    assert [(s["account"], s["ratings"], s["mean_rating"]) for s in services] == [(m.service.account, 1, 4.0)]
    assert credit["factors"]["reviews"] == 2
    missing, low, high, nobody = answers[7:]
    assert missing == (404, {"reason": "not_found", "detail": "no request 'req-nope'"})
    assert (low[0], low[1]["reason"], high[0], nobody[0]) == (400, "bad_request", 400, 404)
