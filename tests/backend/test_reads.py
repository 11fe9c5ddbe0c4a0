"""Reads that don't block: no HTTP handler runs a database call on the event loop, and a tree-head read
(or a start) reads the newest stored tree head, not all of them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from starlette.routing import Route

from backend.api import create_app
from backend.ledger import Ledger
from backend.storage import Storage
from tests.backend.test_checkpoints import _busy
from tests.backend.world import World, seeded_key


def _on_loop_sql(storage: Storage) -> Iterator[list[str]]:
    found: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: fine
        found.append(statement)

    event.listen(storage.engine.engine, "before_cursor_execute", before)
    yield found
    event.remove(storage.engine.engine, "before_cursor_execute", before)


def _paths(ledger: Ledger, world: World) -> dict[str, Any]:
    batch = next(r for r in ledger.storage.log_rows() if r.tx_type == "anchor_batch")
    lease = next(iter(ledger.state.leases.values()))
    maker = world.party("maker").account
    return {
        "index": batch.index,
        "batch": batch.index,
        "position": 0,
        "signer": maker,
        "tx_id": "t1",
        "account": maker,
        "token_id": lease.token,
        "lease_id": lease.id,
        "period": 0,
        "invoice_id": "none",
        "device": next(iter(ledger.state.bindings)),
        "path": "0/000",
        # The marketplace holds no record in this world: these routes answer 404, still off the loop.
        "request_id": "none",
        "listing_id": "none",
        "order_id": "none",
    }


def test_no_handler_calls_the_database_on_the_event_loop(
    make_ledger: Callable[..., Ledger], clock: object
) -> None:
    ledger = make_ledger(checkpoint_every=4)
    world, _ = _busy(World(ledger, clock))  # type: ignore[arg-type]
    values = _paths(ledger, world)
    query = {"start": 0, "end": 2**31, "index": 1, "tree_size": ledger.size, "first": 1, "second": 3}
    app = create_app(ledger)
    routes = [
        r
        for r in app.routes
        if isinstance(r, Route) and "GET" in (r.methods or ()) and r.path != "/v1/stream/readings"
    ]

    async def ask_all() -> list[int]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = []
            for route in routes:
                path = route.path.replace("{path:path}", "{path}").format(**values)
                answers.append((await client.get(path, params=query)).status_code)
            return answers

    for found in _on_loop_sql(ledger.storage):
        statuses = asyncio.run(ask_all())
        assert found == []
    assert len(routes) >= 30
    assert statuses.count(200) >= 25, statuses  # the routes answered, not only refused


def test_a_tree_head_read_and_a_start_read_only_the_newest_head(
    make_ledger: Callable[..., Ledger], clock: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = make_ledger(checkpoint_every=4)
    world = World(ledger, clock)  # type: ignore[arg-type]
    for label in ("a", "b", "c"):
        world.enterprise(label, "investor")
        ledger.tree_head()  # one stored head per size
    newest = ledger.tree_head()

    def every_head() -> list[Any]:
        raise AssertionError("every stored tree head was read")

    monkeypatch.setattr(Storage, "tree_heads", lambda _self: every_head())
    assert ledger.tree_head() == newest
    again = Ledger(Storage(ledger.storage.url, schema=ledger.storage.schema), seeded_key("operator"))
    again.open()
    try:
        assert again.tree_head() == newest
    finally:
        again.close()
