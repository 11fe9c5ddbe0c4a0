"""Lists page by cursor and exports are complete, over more rows than one API page.

A second explorer over the story's ledger reads 2 rows a request (``--api-page 2``), so the story's
readings, postings and payouts each take several pages of the ledger's API.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from chain_client.client import LedgerClient
from harness.ports import free_port, wait_for_port
from tests.explorer.conftest import Explorer

PAGE = 2


@pytest.fixture(scope="module")
def small_pages(explorer: Explorer) -> Iterator[str]:
    port = free_port()
    args = ["--ledger", explorer.story.backend.url, "--port", str(port), "--api-page", str(PAGE)]
    process = subprocess.Popen([sys.executable, "-m", "explorer", *args])
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _csv(http: httpx.Client, path: str) -> list[dict[str, str]]:
    answer = http.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_exports_hold_every_row_across_api_pages(explorer: Explorer, small_pages: str) -> None:
    story = explorer.story
    lessee = story.accounts["lessee"]
    with LedgerClient(story.backend.url) as ledger, httpx.Client(base_url=small_pages) as http:
        currency = ledger.info().currency
        readings = ledger.telemetry(token=story.token, limit=10_000)
        assert len(readings) > PAGE
        rows = _csv(http, f"/machine/{story.token}/readings.csv")
        assert [(int(r["batch"]), int(r["position"])) for r in rows] == [
            (r.batch, r.position) for r in readings
        ]
        assert [json.loads(r["readings"]) for r in rows] == [r.readings for r in readings]
        as_json = http.get(f"/machine/{story.token}/readings.json").json()
        assert [r["message"] for r in as_json] == [r.message for r in readings]
        postings = ledger.journal(lessee, limit=100_000).postings
        assert len(postings) > PAGE
        rows = _csv(http, f"/enterprise/{lessee}/journal.csv")
        assert [Decimal(r["amount"]) * 100 for r in rows] == [p.amount for p in postings]
        assert all(re.fullmatch(r"\d+\.\d\d", r["amount"]) and r["currency"] == currency for r in rows)
        paid = [(p.account, p.amount) for p in ledger.invoice(story.invoice["id"]).payouts]
        for account, _ in paid:
            lines = http.get(f"/enterprise/{account}/payouts.json").json()
            assert [Decimal(x["amount"]) * 100 for x in lines] == [
                p.amount for p in ledger.payouts(account).payouts
            ]


def test_listed_pages_follow_the_cursor_to_the_end(explorer: Explorer, small_pages: str) -> None:
    story = explorer.story
    with LedgerClient(story.backend.url) as ledger, httpx.Client(base_url=small_pages) as http:
        total = len(ledger.telemetry(token=story.token, limit=10_000))
        path, seen, pages = f"/machine/{story.token}", 0, 0
        while path:
            html = http.get(path).text
            body = html.split('id="recent-readings"', 1)[1].split("</section>", 1)[0]
            seen += body.count("<tr><td><time>")
            pages += 1
            found = re.search(r'href="([^"]+)" rel="next">next', body)
            path = found.group(1).replace("&amp;", "&") if found else ""
        assert seen == total
        assert pages == -(-total // PAGE)


def test_a_hostile_cursor_is_a_clear_400_page(explorer: Explorer) -> None:
    token, lessee = explorer.story.token, explorer.story.accounts["lessee"]
    with httpx.Client(base_url=explorer.url) as http:
        for path in (
            f"/machine/{token}?readings=not-a-cursor",
            f"/enterprise/{lessee}?journal=" + "A" * 2000,
            f"/enterprise/{lessee}?payouts=gIJrZW50ZXJwcmlzZXNhMA",
        ):
            answer = http.get(path)
            assert answer.status_code == 400, (path, answer.status_code)
            assert "Not a page of this list" in answer.text
            assert "cursor" in answer.text
