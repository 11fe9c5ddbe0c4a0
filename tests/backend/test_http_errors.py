"""Every bad request gets a bounded, documented error: ``{"reason", "detail"}``, never a 500.

The first tests drive :mod:`backend.http_errors` in-process on a small app; the
rest ask a real ``leasechain-backend serve`` (SQLite and PostgreSQL), whose
integer parameters they find in its own OpenAPI schema so a new route is
covered the day it is added.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.errors import BackendError
from backend.http_errors import MAX_DETAIL, install
from backend.params import INT64_MAX, Index
from tests.backend.server import Server

SHAPE = {"reason", "detail"}
TOO_BIG = 2**66
# The routes with integer parameters today; the OpenAPI scan below must find at least these.
KNOWN_INTEGERS = {
    ("/v1/transactions/{index}", "index"),
    ("/v1/log/proof/inclusion", "index"),
    ("/v1/log/proof/inclusion", "tree_size"),
    ("/v1/log/proof/consistency", "first"),
    ("/v1/log/proof/consistency", "second"),
    ("/v1/log/entries", "start"),
    ("/v1/log/entries", "end"),
    ("/v1/tokens/{token_id}/usage", "start"),
    ("/v1/tokens/{token_id}/usage", "end"),
    ("/v1/accounts/{account}/journal", "limit"),
    ("/v1/telemetry", "since"),
    ("/v1/telemetry", "until"),
    ("/v1/telemetry", "limit"),
    ("/v1/telemetry/{batch}/{position}/proof", "batch"),
    ("/v1/telemetry/{batch}/{position}/proof", "position"),
}


def small_app() -> FastAPI:
    """An app with the error handlers and routes that fail in each way."""
    app = FastAPI()
    install(app)

    @app.get("/n/{n}")
    async def number(n: Index) -> dict[str, int]:
        return {"n": n}

    @app.get("/bug")
    async def bug() -> None:
        raise RuntimeError("secret internals /etc/passwd")

    @app.get("/storage")
    async def storage() -> None:
        raise BackendError("log entry 7 is missing (found 8)")

    return app


def ask(app: FastAPI, path: str) -> httpx.Response:
    """One GET to ``app`` in-process, its exceptions answered as a server would answer them."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    return asyncio.run(go())


def assert_shape(status: int, body: Any, expected: int) -> None:
    assert status == expected, body
    assert isinstance(body, dict), body
    assert set(body) == SHAPE, body
    assert isinstance(body["detail"], str), body
    assert 0 < len(body["detail"]) <= MAX_DETAIL, body


def test_a_bug_is_a_generic_internal_error_without_traceback() -> None:
    for path in ("/bug", "/storage"):
        response = ask(small_app(), path)
        assert_shape(response.status_code, response.json(), 500)
        assert response.json()["reason"] == "internal_error"
        assert "passwd" not in response.text
        assert "log entry" not in response.text


def test_a_huge_value_is_not_echoed_back() -> None:
    response = ask(small_app(), "/n/" + "9" * 60_000)  # about what an HTTP client lets through
    assert_shape(response.status_code, response.json(), 400)
    assert response.json()["reason"] == "bad_request"
    assert response.json()["detail"].startswith("path parameter 'n' is '999")


def integer_schema(parameter: dict[str, Any]) -> dict[str, Any] | None:
    """The integer schema of an OpenAPI parameter (also inside ``anyOf``), or None."""
    schema = parameter["schema"]
    return next((k for k in [schema, *schema.get("anyOf", [])] if k.get("type") == "integer"), None)


def integer_parameters(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(path, parameter, schema) of every integer parameter of every GET route."""
    found = []
    for path, operations in openapi["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            schema = integer_schema(parameter)
            if schema is not None:
                found.append((path, parameter["name"], schema))
    return found


def url_of(openapi: dict[str, Any], path: str, values: Mapping[str, object]) -> str:
    """A request for ``path``: ``values`` where given, otherwise 0 or "x" for each required parameter."""
    query = {}
    for parameter in openapi["paths"][path]["get"].get("parameters", []):
        name = parameter["name"]
        value = values.get(name, "x" if integer_schema(parameter) is None else 0)
        if parameter["in"] == "path":
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        elif name in values or parameter.get("required"):
            query[name] = value
    return path + ("?" + urlencode(query) if query else "")


@pytest.mark.slow
def test_every_integer_parameter_is_bounded_and_out_of_range_is_400(server: Server) -> None:
    openapi = server.get("/openapi.json")
    parameters = integer_parameters(openapi)
    assert {(path, name) for path, name, _ in parameters} >= KNOWN_INTEGERS
    for path, name, schema in parameters:
        assert schema["minimum"] >= 0, (path, name)
        assert schema["maximum"] <= INT64_MAX, (path, name)
        for value in (TOO_BIG, -1, schema["maximum"] + 1, "ten"):
            status, body = server.call("GET", url_of(openapi, path, {name: value}))
            assert_shape(status, body, 400)
            assert body["reason"] == "bad_request"
            assert f"parameter {name!r} is {str(value)!r}" in body["detail"], (path, body)


@pytest.mark.slow
def test_routing_errors_have_the_shape(server: Server) -> None:
    status, body = server.call("GET", "/v1/no-such-thing")
    assert_shape(status, body, 404)
    assert body == {"reason": "not_found", "detail": "no route GET '/v1/no-such-thing'"}
    status, body = server.call("DELETE", "/v1/info")
    assert_shape(status, body, 405)
    assert body["reason"] == "method_not_allowed"
    status, body = server.call("GET", "/v1/log/proof/inclusion?index=0")
    assert_shape(status, body, 400)
    assert body["detail"] == "query parameter 'tree_size' is missing"
    status, body = server.call("GET", "/v1/devices/" + "ab" * 5000)
    assert_shape(status, body, 400)
    assert body["reason"] == "bad_payload"
    status, body = server.call("GET", "/v1/transactions/99")
    assert_shape(status, body, 404)
    assert body == {"reason": "not_found", "detail": "no log entry 99"}


@pytest.mark.slow
def test_a_body_declared_over_the_limit_is_refused_unread(server: Server) -> None:
    # Nothing follows the headers: a server that waited for the body would time out.
    for path in ("/v1/transactions", "/v1/transactions/batch"):
        status, body = server.call(
            "POST", path, headers={"Content-Type": "application/cbor", "Content-Length": str(10**9)}
        )
        assert_shape(status, body, 413)
        assert body["reason"] == "too_large"


values = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(st.characters(codec="utf-8"), max_size=30),
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_request_gets_a_500_or_another_error_shape(server: Server, data: st.DataObject) -> None:
    openapi = server.get("/openapi.json")
    paths = sorted(p for p in openapi["paths"] if not p.startswith("/v1/stream"))
    path = data.draw(st.sampled_from(paths))
    names = [p["name"] for p in openapi["paths"][path].get("get", {}).get("parameters", [])]
    given_values = data.draw(st.dictionaries(st.sampled_from(names or ["x"]), values))
    method = data.draw(st.sampled_from(["GET", "GET", "GET", "PUT", "DELETE"]))
    target = url_of(openapi, path, given_values) if "get" in openapi["paths"][path] else path
    status, body = server.call(method, target)
    assert status < 500, (target, body)
    if status == 307:  # a trailing slash redirects to the route without it, empty-bodied
        assert body is None
    elif status >= 300:
        assert_shape(status, body, status)
