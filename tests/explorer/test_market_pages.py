"""The explorer's marketplace pages over a real backend where a request was matched and a report rated."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from chain_client.client import LedgerClient
from chain_client.client import market_queries as mq
from harness.ports import free_port, wait_for_port
from tests.cli.market_story import Market, tell
from tests.explorer.test_pages import get, text
from tests.gateway.ledger_backend import LedgerBackend
from tests.simulator.browser import chromium, layout_problems


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Market]]:
    workdir = tmp_path_factory.mktemp("market-explorer")
    backend = LedgerBackend(workdir / "ledger")
    backend.start()
    process: subprocess.Popen[bytes] | None = None
    try:
        story = tell(backend, workdir)
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "explorer", "--ledger", backend.url, "--port", str(port)],
            stdout=(workdir / "explorer.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        wait_for_port("127.0.0.1", port, timeout=30)
        yield f"http://127.0.0.1:{port}", story
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        backend.kill()


class _Site:
    def __init__(self, url: str) -> None:
        self.url = url


def _page(site: tuple[str, Market], path: str) -> tuple[int, str]:
    status, _, page = get(_Site(site[0]), path)  # type: ignore[arg-type]
    return status, text(page)


def test_the_market_page_lists_requests_listings_and_services(site: tuple[str, Market]) -> None:
    story = site[1]
    status, page = _page(site, "/market")
    assert status == 200
    assert f"{story.request} : shop GmbH" in page
    assert "needs a cnc-mill, spindle 12kW at Leipzig for 3 d" in page
    assert "matched" in page
    assert f"{story.listings['far']} : rival GmbH" in page
    assert "offers a cnc-mill VF-2 at Hamburg" in page
    assert "inspector GmbH (" in page
    assert "5.0 of 5 (1)" in page


def test_a_request_shows_its_ranking_with_reasons(site: tuple[str, Market]) -> None:
    story = site[1]
    status, page = _page(site, f"/market/request/{story.request}")
    assert status == 200
    assert "shop GmbH needs a cnc-mill, spindle 12kW at Leipzig for 3 d" in page
    assert "1 live listing, ranked" in page
    assert "+0: at Hamburg, not Leipzig" in page
    assert story.lease in page


def test_a_credit_score_is_shown_with_its_explanation(site: tuple[str, Market]) -> None:
    story = site[1]
    shop = story.backend.get("/v1/market/requests")[0]["lessee"]
    score = story.backend.get(f"/v1/credit/{shop}")
    status, page = _page(site, f"/credit/{quote(shop)}")
    assert status == 200
    assert f"{score['score']} of 100, band {score['band']} , thin file" in page
    for line in score["lines"]:
        assert line["text"] in page


def test_a_service_shows_its_ratings_and_history(site: tuple[str, Market]) -> None:
    story = site[1]
    inspector = story.backend.get(f"/v1/market/orders/{story.order}")["service"]
    status, page = _page(site, f"/service/{inspector}")
    assert status == 200
    assert "rated 5.0 of 5 by 1 client" in page
    assert "engaged it for “acceptance inspection”" in page
    assert "rated 5 of 5: “clear and on time”" in page
    missing, _ = _page(site, "/market/request/req-nope")
    assert missing == 404


def test_the_log_tells_the_market_in_words(site: tuple[str, Market]) -> None:
    status, page = _page(site, "/log")
    assert status == 200
    assert "shop GmbH asked for a cnc-mill, spindle 12kW at Leipzig for 3 d" in page
    assert "maker GmbH answered the request" in page
    assert "inspector GmbH delivered a signed report for order-" in page
    assert "shop GmbH rated the order order-" in page


@pytest.mark.browser
def test_the_market_pages_fit_400_px(site: tuple[str, Market]) -> None:
    story = site[1]
    inspector = story.backend.get(f"/v1/market/orders/{story.order}")["service"]
    paths = [
        "/market",
        f"/market/request/{story.request}",
        f"/market/listing/{story.listings['far']}",
        f"/credit/{inspector}",
        f"/service/{inspector}",
    ]
    with chromium() as browser:
        problems = {path: layout_problems(browser, site[0] + path, width=400) for path in paths}
    assert {path: found for path, found in problems.items() if found} == {}


@pytest.fixture(scope="module")
def one_a_page(site: tuple[str, Market]) -> Iterator[str]:
    """An explorer of the same ledger that shows one row a page."""
    port = free_port()
    args = ["--ledger", site[1].backend.url, "--port", str(port), "--api-page", "1"]
    process = subprocess.Popen([sys.executable, "-m", "explorer", *args])
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_market_lists_page_by_the_ledgers_cursor(site: tuple[str, Market], one_a_page: str) -> None:
    story = site[1]
    with httpx.Client(base_url=one_a_page) as http, LedgerClient(story.backend.url) as ledger:
        newest_first = [x.id for x in ledger.iter_listings()]
        seen: list[str] = []
        path: str | None = "/market"
        while path is not None:
            html = http.get(path).text
            seen += [x for x in newest_first if f"/market/listing/{x}" in html]
            found = re.search(r'href="(/market\?listings=[^"#]+)#listings" rel="next"', html)
            path = found and found.group(1).replace("&amp;", "&")
        assert seen == newest_first  # one a page, in order, each once
        assert len(seen) == 2
        page = http.get(f"/market?listings={newest_first[0]}")  # not a cursor
        assert page.status_code == 400
        assert "Not a page of this list" in page.text
        requests_cursor = ledger.run_page(mq.market_requests(1)).next_cursor
        assert requests_cursor is None  # one request: a single page, no next link
        listings_cursor = ledger.run_page(mq.listings(1)).next_cursor
        assert listings_cursor is not None
        moved = http.get("/market", params={"requests": listings_cursor})  # another list's cursor
        assert moved.status_code == 400
        service = http.get(f"/service/{story.backend.get(f'/v1/market/orders/{story.order}')['service']}")
        assert service.status_code == 200
        assert 'rel="next"' not in service.text  # one order, one page
