"""/docs and /redoc render in a real browser (Debian's Chromium) from the backend's own files alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route

from tests.backend.server import Server
from tests.simulator.browser import chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


def _recorder(local: str, sent: list[str]) -> Callable[[Route], None]:
    """A route handler: records every request put on the network, and lets only local ones out.

    A ``blob:`` URL, or a request the page's Content-Security-Policy stops, never gets here.
    """

    def network(route: Route) -> None:
        sent.append(route.request.url)
        if route.request.url.startswith(local + "/"):
            route.continue_()
        else:
            route.abort()

    return network


@pytest.fixture
def storage_spec(tmp_path: Path) -> tuple[str, str | None]:
    """One SQLite ledger: the pages do not depend on the database."""
    return f"sqlite:///{tmp_path / 'ledger.sqlite3'}", None


def test_docs_and_redoc_render_with_no_request_leaving_the_backend(server: Server, browser: Browser) -> None:
    for path, ready in (("/docs", ".opblock-summary-path"), ("/redoc", "[role=menuitem], .menu-content li")):
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        sent: list[str] = []

        context.route("**/*", _recorder(server.url, sent))
        page = context.new_page()
        answer = page.goto(server.url + path)
        assert answer is not None
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        page.wait_for_selector(ready, timeout=30_000)
        text = page.inner_text("body")
        assert "Lease Chain ledger" in text, path
        assert "/v1/tokens" in text, path
        assert any("/docs-assets/" in url for url in sent), (path, sent)
        assert all(url.startswith(server.url + "/") for url in sent), (path, sent)
        context.close()
