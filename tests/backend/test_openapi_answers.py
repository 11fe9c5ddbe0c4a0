"""The OpenAPI document describes every answer: each JSON route names its schema, and real answers fit it.

The answers of a ledger holding one of every record are checked against the document's own schemas
with jsonschema, an object's keys limited to the ones the schema names: a field the backend sends
but the document leaves out fails, as does one it names as required but the backend leaves out.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
from typing import Any

import httpx
import jsonschema

from backend.api import create_app
from backend.ledger import Ledger
from chain_client.device import device_id
from chain_client.market.report import sign_report
from tests.backend.market_world import market
from tests.backend.world import DAY, World, batch_args, reading, seeded_key

NOT_JSON = {"/checkpoint", "/tile/{path}", "/metrics", "/v1/stream/readings"}


def _schema_of(openapi: dict[str, Any], path: str, method: str) -> dict[str, Any] | None:
    content = openapi["paths"][path][method]["responses"].get("200", {}).get("content", {})
    found = content.get("application/json", {}).get("schema")
    return found if isinstance(found, dict) else None


def _checked_against(openapi: dict[str, Any], path: str) -> dict[str, Any]:
    """The schema of ``GET path``'s answer, closed, with the document's components it refers to."""
    schema = _schema_of(openapi, path, "get")
    assert schema is not None, path
    closed: dict[str, Any] = _closed({**schema, "components": copy.deepcopy(openapi["components"])})
    return closed


def _closed(schema: Any) -> Any:
    """``schema`` with every object limited to the properties it names."""
    if isinstance(schema, dict):
        out = {k: _closed(v) for k, v in schema.items()}
        if "properties" in out:
            out.setdefault("additionalProperties", False)
        return out
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


def _world(world: World) -> dict[str, Any]:
    """One of every record; the values that fill the routes' path and query parameters."""
    m = market(world)
    request, listing = m.request(), m.listing()
    gateway = world.enterprise("gateway", "service")
    sensor = seeded_key("openapi-sensor")
    world.do(m.maker, "bind_device", token=m.token, public_key=bytes(sensor.verify_key))
    tx_id = "offer-1"
    lease = world.do(m.maker, "offer_lease", tx_id=tx_id, **world.lease_terms(m.token, m.lessee))["lease"]
    world.do(m.lessee, "sign_lease", lease=lease)
    t = world.clock.now
    messages = [
        reading(sensor, seq=1, time=t + 10, run_seconds=100),
        reading(sensor, seq=2, time=t + 20, run_seconds=160),
    ]
    batch = world.do(gateway, "anchor_batch", **batch_args(messages))["batch"]
    world.do(m.maker, "post_guarantee", token=m.token, kind="salvage", amount=10, until=t + 2 * DAY)
    order = world.do(
        m.lessee,
        "engage_service",
        service=m.service.account,
        subject=m.token,
        scope="inspection",
        fee=7,
        due=t + DAY,
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
    invoice = world.do(m.maker, "issue_invoice", lease=lease, period=0)["invoice"]
    world.do(m.lessee, "pay_invoice", invoice=invoice)
    size = world.ledger.size
    return {
        "index": batch, "tree_size": size, "first": 1, "second": size, "batch": batch, "position": 0,
        "signer": m.maker.account, "tx_id": tx_id, "account": m.lessee.account, "token_id": m.token,
        "device": device_id(bytes(sensor.verify_key)).hex(), "lease_id": lease, "period": 0,
        "invoice_id": invoice, "request_id": request, "listing_id": listing, "order_id": order,
        "start": t, "end": t + DAY,
    }  # fmt: skip


def _url(openapi: dict[str, Any], path: str, values: dict[str, Any]) -> str:
    """``path`` with its path parameters and required query parameters filled from ``values``."""
    query = []
    for parameter in openapi["paths"][path]["get"].get("parameters", []):
        name = parameter["name"]
        if parameter["in"] == "path":
            path = path.replace("{" + name + "}", str(values[name]))
        elif parameter.get("required"):
            query.append(f"{name}={values[name]}")
    return path + ("?" + "&".join(query) if query else "")


def _answers(app: Any, urls: list[str]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),  # the writer runs: /readyz answers ready
            httpx.AsyncClient(transport=transport, base_url="http://ledger") as client,
        ):
            return [await client.get(u) for u in urls]

    return asyncio.run(run())


def test_every_json_route_names_the_schema_of_its_answer(ledger: Ledger) -> None:
    openapi = create_app(ledger).openapi()
    routes = [(p, verb) for p, ops in openapi["paths"].items() for verb in ops if p not in NOT_JSON]
    assert len(routes) > 40
    missing = [f"{verb.upper()} {p}" for p, verb in routes if not _schema_of(openapi, p, verb)]
    assert missing == []
    for path in NOT_JSON:  # the others say what they answer instead
        assert "application/json" not in openapi["paths"][path]["get"]["responses"]["200"]["content"]


def test_each_answer_fits_the_schema_the_document_gives_it(world: World, ledger: Ledger) -> None:
    values = _world(world)
    app = create_app(ledger)
    openapi = app.openapi()
    paths = sorted(p for p, ops in openapi["paths"].items() if "get" in ops and p not in NOT_JSON)
    answers = _answers(app, [_url(openapi, p, values) for p in paths])
    for path, answer in zip(paths, answers, strict=True):
        assert answer.status_code == 200, (path, answer.text)
        jsonschema.validate(answer.json(), _checked_against(openapi, path))
    # Not every answer is trivially empty: the world's records are there to be checked.
    by_path = dict(zip(paths, (a.json() for a in answers), strict=True))
    assert by_path["/v1/leases/{lease_id}"]["invoices"][0]["payouts"]
    assert by_path["/v1/telemetry"]["readings"]
    assert by_path["/v1/market/guarantees"]


def test_a_field_left_out_of_the_document_is_found(world: World, ledger: Ledger) -> None:
    values = _world(world)
    openapi = create_app(ledger).openapi()
    schema = _checked_against(openapi, "/v1/tokens/{token_id}")
    token = _answers(create_app(ledger), [_url(openapi, "/v1/tokens/{token_id}", values)])[0].json()
    jsonschema.validate(token, schema)
    for bad in (
        {**token, "secret": 1},
        {k: v for k, v in token.items() if k != "owner"},
        {**token, "price": "10"},
    ):
        try:
            jsonschema.validate(bad, schema)
        except jsonschema.ValidationError:
            continue
        raise AssertionError(f"an answer off its schema passed: {sorted(bad)}")
