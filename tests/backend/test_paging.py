"""Cursor paging of the list endpoints over a real ``leasechain-backend serve`` (docs/ledger.md, Paging)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from chain_client.client import LedgerClient, queries
from tests.backend.server import Server
from tests.backend.test_http import OPERATOR, Actor
from tests.backend.world import T0, Party, batch_args, reading, seeded_key

pytestmark = pytest.mark.slow


def _walk(http: httpx.Client, url: str) -> tuple[list[Any], int]:
    """Every row of a list by following its next links; and how many pages that took."""
    rows: list[Any] = []
    pages = 0
    while True:
        answer = http.get(url)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows += body if isinstance(body, list) else next(v for v in body.values() if isinstance(v, list))
        pages += 1
        if "next" not in answer.links:
            return rows, pages
        url = answer.links["next"]["url"]
        assert "cursor=" in url


def _refused(http: httpx.Client, url: str) -> dict[str, Any]:
    answer = http.get(url)
    assert answer.status_code == 400, answer.text
    body: dict[str, Any] = answer.json()
    assert set(body) == {"reason", "detail"}
    return body


@pytest.fixture
def filled(server: Server) -> dict[str, Any]:
    """Seven enterprises, five deposits to one of them and 23 readings of one device."""
    api = Actor(server)
    parties = [api.enterprise(f"pager-{n}", "manufacturer") for n in range(7)]
    for n in range(5):
        api.do(OPERATOR, "deposit", account=parties[0].account, amount=100 + n, reference=f"d{n}")
    maker = parties[0]
    token = api.do(
        maker, "mint_token", serial="S", model="M", specs={}, price=10, salvage_value=1, shares=1,
        share_price=10, fee_terms=[],
    )["result"]["token"]  # fmt: skip
    dev = seeded_key("pager-dev")
    api.do(maker, "bind_device", token=token, public_key=bytes(dev.verify_key))
    gateway = api.enterprise("pager-gw", "service")
    # Pairs of readings share a stamp, so a page boundary falls inside a stamp.
    msgs = [reading(dev, seq=n, time=T0 + 60 * (n // 2), run_seconds=30 * n) for n in range(1, 24)]
    api.do(gateway, "anchor_batch", tx_id="pg-1", **batch_args(msgs))
    return {"maker": maker.account, "other": parties[1].account, "token": token}


def test_every_list_pages_completely_in_a_stable_order(server: Server, filled: dict[str, Any]) -> None:
    maker, token = filled["maker"], filled["token"]
    with httpx.Client(base_url=server.url) as http:
        whole = http.get("/v1/enterprises").json()
        assert "next" not in http.get("/v1/enterprises").links
        rows, pages = _walk(http, "/v1/enterprises?limit=3")
        assert rows == whole
        assert pages == -(-len(whole) // 3)
        assert [e["account"] for e in rows] == sorted(e["account"] for e in rows)
        rows, pages = _walk(http, f"/v1/accounts/{maker}/journal?limit=2")
        assert [p["amount"] for p in rows] == [100, 101, 102, 103, 104]
        assert pages == 3
        one_page = http.get(f"/v1/telemetry?token={token}&limit=100").json()["readings"]
        rows, pages = _walk(http, f"/v1/telemetry?token={token}&status=verified&limit=4")
        assert len(one_page) == 23
        assert rows == one_page
        assert pages == 6
        assert [r["seq"] for r in rows] == list(range(1, 24))
        rows, _ = _walk(http, "/v1/devices?limit=1")
        assert [d["token"] for d in rows] == [token]
    with LedgerClient(server.url) as client:
        assert [e.account for e in client.enterprises()] == [e["account"] for e in whole]
        assert [r.seq for r in client.iter_telemetry(token=token, page_size=5)] == list(range(1, 24))
        assert [p.amount for p in client.iter_journal(maker, page_size=4)][-1] == 104
        first = client.run_page(queries.enterprises(limit=2))
        assert len(first.items) == 2
        assert first.next_cursor is not None
        second = client.run_page(queries.enterprises(limit=2, cursor=first.next_cursor))
        assert second.items[0].account > first.items[1].account


def test_hostile_cursors_and_limits_are_refused_with_their_reason(
    server: Server, filled: dict[str, Any]
) -> None:
    maker, other = filled["maker"], filled["other"]
    with httpx.Client(base_url=server.url) as http:
        cursor = httpx.URL(http.get("/v1/enterprises?limit=1").links["next"]["url"]).params["cursor"]
        assert http.get(f"/v1/enterprises?cursor={cursor}").status_code == 200
        tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
        forged = base64.urlsafe_b64encode(b"\x83\x01kenterprisesa0" + bytes(16)).decode().rstrip("=")
        cases = {
            "/v1/enterprises?cursor=%21%21%21": "not base64url",
            f"/v1/enterprises?cursor={tampered}": "not issued by this ledger",
            f"/v1/enterprises?cursor={forged}": "not issued by this ledger",
            "/v1/enterprises?cursor=" + "A" * 600: "at most 512",
            f"/v1/tokens?cursor={cursor}": "belongs to the list 'enterprises'",
        }
        for url, words in cases.items():
            body = _refused(http, url)
            assert body["reason"] == "bad_cursor", url
            assert words in body["detail"], (url, body)
        journal = httpx.URL(http.get(f"/v1/accounts/{maker}/journal?limit=1").links["next"]["url"])
        body = _refused(http, f"/v1/accounts/{other}/journal?cursor={journal.params['cursor']}")
        assert body["reason"] == "bad_cursor"
        assert "belongs to the list" in body["detail"]
        for url in ("/v1/tokens?limit=1000000", "/v1/leases?limit=0", f"/v1/payouts/{maker}?limit=1001"):
            body = _refused(http, url)
            assert body["reason"] == "bad_request", url
            assert "limit" in body["detail"], (url, body)


def test_telemetry_pages_newest_first_and_keeps_its_cursors_to_that_order(
    server: Server, filled: dict[str, Any]
) -> None:
    token = filled["token"]
    with httpx.Client(base_url=server.url) as http:
        oldest_first = http.get(f"/v1/telemetry?token={token}&limit=100").json()["readings"]
        rows, pages = _walk(http, f"/v1/telemetry?token={token}&order=desc&limit=4")
        assert rows == oldest_first[::-1]
        assert pages == 6
        # Pairs share a stamp: within one the later position comes first too.
        assert [r["seq"] for r in rows] == list(range(23, 0, -1))
        ascending = httpx.URL(http.get(f"/v1/telemetry?token={token}&limit=3").links["next"]["url"])
        body = _refused(http, f"/v1/telemetry?token={token}&order=desc&cursor={ascending.params['cursor']}")
        assert body["reason"] == "bad_cursor"
        body = _refused(http, f"/v1/telemetry?token={token}&order=newest")
        assert body["reason"] == "bad_request"
        assert "order" in body["detail"]
        window = http.get(f"/v1/telemetry?token={token}&order=desc&since={T0 + 60}&until={T0 + 180}")
        assert [r["seq"] for r in window.json()["readings"]] == [5, 4, 3, 2]
    with LedgerClient(server.url) as client:
        newest = client.telemetry(token=token, limit=1, newest_first=True)
        assert [r.seq for r in newest] == [23]
        walked = client.iter_telemetry(token=token, page_size=5, newest_first=True)
        assert [r.seq for r in walked] == list(range(23, 0, -1))
        device = newest[0].device
        assert [r.seq for r in client.telemetry(device=device, limit=2, newest_first=True)] == [23, 22]


def test_tokens_and_leases_filter_by_party_and_token_with_cursors_of_their_own(
    server: Server, filled: dict[str, Any]
) -> None:
    maker, other, token = filled["maker"], filled["other"], filled["token"]
    api = Actor(server)
    owner = Party(seeded_key("http-pager-0"))  # the fixture's first enterprise, ``maker``
    made = [token] + [
        api.do(
            owner, "mint_token", tx_id=f"fm-{n}", serial=f"F{n}", model="M", specs={}, price=10,
            salvage_value=1, shares=1, share_price=10, fee_terms=[],
        )["result"]["token"]
        for n in range(3)
    ]  # fmt: skip
    with httpx.Client(base_url=server.url) as http:
        assert len(http.get("/v1/tokens").json()) == 4
        rows, pages = _walk(http, f"/v1/tokens?party={maker}&limit=3")
        assert [t["id"] for t in rows] == sorted(made)
        assert pages == 2
        assert http.get(f"/v1/tokens?party={other}").json() == []
        unfiltered = httpx.URL(http.get("/v1/tokens?limit=1").links["next"]["url"]).params["cursor"]
        body = _refused(http, f"/v1/tokens?party={maker}&cursor={unfiltered}")
        assert body["reason"] == "bad_cursor"
        assert http.get(f"/v1/leases?token={token}").json() == []
        assert http.get(f"/v1/leases?party={maker}&token={token}").json() == []
    with LedgerClient(server.url) as client:
        assert sorted(t.id for t in client.tokens(party=maker)) == sorted(made)
        assert client.leases(party=other) == []
