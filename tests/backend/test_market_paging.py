"""The marketplace's lists page by cursor like every other list (docs/ledger.md, Paging)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx

from backend.api import create_app
from backend.ledger import Ledger
from backend.paging import NewestIndex
from chain_client.client import AsyncLedgerClient
from tests.backend.market_world import Market, market
from tests.backend.world import DAY, World


def _client(ledger: Ledger) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(ledger)), base_url="http://ledger")


def _get(ledger: Ledger, *urls: str) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        async with _client(ledger) as client:
            return [await client.get(u) for u in urls]

    return asyncio.run(run())


def _rows(body: Any) -> list[Any]:
    return body if isinstance(body, list) else list(body["history"])


def _walk(ledger: Ledger, url: str, add: Any = None) -> tuple[list[str], int]:
    """The ids of every row by following next links, and the pages; ``add()`` runs after the first page."""
    ids: list[str] = []
    pages = 0
    while True:
        (answer,) = _get(ledger, url)
        assert answer.status_code == 200, answer.text
        ids += [row["id"] for row in _rows(answer.json())]
        pages += 1
        if pages == 1 and add is not None:
            add()
        if "next" not in answer.links:
            return ids, pages
        url = answer.links["next"]["url"]


def _newest_first(records: dict[str, Any], field: str) -> list[str]:
    return [r.id for r in sorted(records.values(), key=lambda r: (getattr(r, field), r.id), reverse=True)]


def _requests(m: Market, world: World, count: int) -> None:
    """``count`` requests, two at each second (the id breaks the tie), by lessees of 4 open at most."""
    for n in range(count):
        lessee = m.lessee if n % 2 == 0 else world.enterprise(f"lessee-{n}", "lessee")
        world.do(lessee, "post_request", **m.request_args(site=f"site-{n}"))
        if n % 2:
            world.clock.advance(1)
        if n % 8 == 7:  # stay under the open requests' bound of one lessee
            for rid in list(world.ledger.state.market.open_requests[m.lessee.account]):
                world.do(m.lessee, "withdraw_request", request=rid)


def test_requests_and_listings_page_newest_first_without_skip_or_repeat(world: World, ledger: Ledger) -> None:
    m = market(world)
    _requests(m, world, 11)
    for n in range(5):
        world.do(m.maker, "list_machine", **m.listing_args(token=world.mint(m.maker, f"SN-L{n}")))
    ids, pages = _walk(ledger, "/v1/market/requests?limit=3")
    assert (ids, pages) == (_newest_first(ledger.state.market.requests, "posted_at"), 4)
    ids, pages = _walk(ledger, "/v1/market/listings?limit=2")
    assert (ids, pages) == (_newest_first(ledger.state.market.listings, "listed_at"), 3)
    (one,) = _get(ledger, "/v1/market/requests?limit=11")
    assert "next" not in one.links
    assert len(one.json()) == 11


def test_a_record_added_while_a_list_is_read_is_neither_skipped_nor_repeated(
    world: World, ledger: Ledger
) -> None:
    m = market(world)
    _requests(m, world, 6)
    before = _newest_first(ledger.state.market.requests, "posted_at")
    added: list[str] = []

    def add() -> None:
        world.clock.advance(5)
        added.append(m.request(site="late"))

    ids, _pages = _walk(ledger, "/v1/market/requests?limit=2", add)
    assert ids == before  # the walk lists what was there when it began, once each
    ids, _pages = _walk(ledger, "/v1/market/requests?limit=2")
    assert ids == added + before  # a new walk starts with it


def test_guarantees_and_a_services_history_page(world: World, ledger: Ledger) -> None:
    m = market(world)
    tokens = [world.mint(m.maker, f"SN-G{n}") for n in range(3)]
    for token in tokens:
        for kind in ("security", "salvage"):
            until = world.clock.now + DAY
            world.do(m.maker, "post_guarantee", token=token, kind=kind, amount=10, until=until)
    ids, pages = _walk(ledger, "/v1/market/guarantees?limit=4")
    assert (ids, pages) == (_newest_first(ledger.state.market.guarantees, "posted_at"), 2)
    orders = []
    for n in range(5):
        order = world.do(
            m.lessee, "engage_service", service=m.service.account, subject=m.token, scope=f"inspection {n}",
            fee=7, due=world.clock.now + DAY,
        )["order"]  # fmt: skip
        orders.append(order)
    url = f"/v1/market/services/{m.service.account}?limit=2"
    ids, pages = _walk(ledger, url)
    assert (ids, pages) == (orders[::-1], 3)
    first, last = _get(ledger, url, f"{url}&cursor={_cursor(ledger, url, 2)}")
    assert first.json()["orders"] == last.json()["orders"] == 5  # the record on every page
    assert [o["id"] for o in last.json()["history"]] == orders[:1]
    assert "next" not in last.links


def _cursor(ledger: Ledger, url: str, pages: int) -> str:
    """The cursor after ``pages`` pages of ``url``."""
    cursor = ""
    for _ in range(pages):
        (answer,) = _get(ledger, f"{url}&cursor={cursor}" if cursor else url)
        cursor = str(httpx.URL(answer.links["next"]["url"]).params["cursor"])
    return cursor


def test_hostile_cursors_are_refused(world: World, ledger: Ledger) -> None:
    m = market(world)
    _requests(m, world, 3)
    other = world.enterprise("other-service", "service")
    for _ in range(3):
        world.do(
            m.lessee, "engage_service", service=m.service.account, subject=m.token, scope="x", fee=1,
            due=world.clock.now + DAY,
        )  # fmt: skip
    good = _cursor(ledger, "/v1/market/requests?limit=1", 1)
    service = _cursor(ledger, f"/v1/market/services/{m.service.account}?limit=1", 1)
    raw = bytearray(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))
    raw[5] ^= 1
    edited = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    urls = [
        f"/v1/market/listings?cursor={good}",  # another list's cursor
        f"/v1/market/guarantees?cursor={good}",
        f"/v1/market/services/{other.account}?cursor={service}",  # another service's history
        f"/v1/market/requests?cursor={service}",
        f"/v1/market/requests?cursor={edited}",  # one bit changed
        "/v1/market/requests?cursor=" + base64.urlsafe_b64encode(b"\x83\x01x\x00" + bytes(16)).decode(),
        "/v1/market/requests?cursor=not*base64",
        "/v1/market/requests?cursor=" + "A" * 600,
    ]
    for answer in _get(ledger, *urls):
        assert answer.status_code == 400, answer.text
        assert answer.json()["reason"] == "bad_cursor", answer.text
    (ok,) = _get(ledger, f"/v1/market/requests?limit=1&cursor={good}")
    assert ok.status_code == 200
    assert len(ok.json()) == 1


def test_the_sdk_follows_the_pages(world: World, ledger: Ledger) -> None:
    m = market(world)
    _requests(m, world, 5)
    for n in range(3):
        token = world.mint(m.maker, f"SN-S{n}")
        world.do(m.maker, "list_machine", **m.listing_args(token=token))
        until = world.clock.now + DAY
        world.do(m.maker, "post_guarantee", token=token, kind="security", amount=5, until=until)
    for n in range(3):
        world.do(
            m.lessee, "engage_service", service=m.service.account, subject=m.token, scope=f"s{n}", fee=1,
            due=world.clock.now + DAY,
        )  # fmt: skip
    state = ledger.state.market

    async def run() -> tuple[list[str], ...]:
        transport = httpx.ASGITransport(app=create_app(ledger))
        async with AsyncLedgerClient("http://ledger", transport=transport) as client:
            return (
                [r.id async for r in client.iter_market_requests(page_size=2)],
                [x.id async for x in client.iter_listings(page_size=1)],
                [g.id async for g in client.iter_guarantees(page_size=1)],
                [o.id async for o in client.iter_service_history(m.service.account, page_size=2)],
            )

    got = asyncio.run(run())
    assert got[0] == _newest_first(state.requests, "posted_at")
    assert got[1] == _newest_first(state.listings, "listed_at")
    assert got[2] == _newest_first(state.guarantees, "posted_at")
    assert got[3] == state.service_orders[m.service.account][::-1]


def _walk_index(index: NewestIndex[tuple[int, str]], records: dict[str, tuple[int, str]], limit: int,
                during: Any = None) -> list[str]:  # fmt: skip
    ids: list[str] = []
    after = None
    while True:
        found, last = index.page(records, after, limit)
        ids += [r[1] for r in found]
        if during is not None:
            during()
            during = None
        if last is None:
            return ids
        after = (int(str(last[0])), str(last[1]))


def test_the_index_follows_added_records_and_a_state_reloaded_in_another_order() -> None:
    def key(r: tuple[int, str]) -> tuple[int, str]:
        return r

    records = {f"id-{n:02d}": (100 + n // 3, f"id-{n:02d}") for n in range(10)}
    newest = sorted(records.values(), reverse=True)
    index = NewestIndex(key)
    assert _walk_index(index, records, 3) == [r[1] for r in newest]
    # A record added at the second of the cursor, with a smaller id, is shown once, on a later page;
    # one added later is not in this walk (it heads the next).
    late = {"id-06a": (102, "id-06a"), "id-99": (200, "id-99")}  # the first page ends at (102, "id-07")
    shown = _walk_index(index, records, 3, lambda: records.update(late))
    assert shown == [r[1] for r in sorted([*newest, late["id-06a"]], reverse=True)]
    # The same records in another order (a state restored from a snapshot): the same pages.
    reloaded = dict(sorted(records.items(), key=lambda kv: kv[1][1], reverse=True))
    assert _walk_index(index, reloaded, 4) == [r[1] for r in sorted(records.values(), reverse=True)]
