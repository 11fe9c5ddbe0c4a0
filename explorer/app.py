"""The explorer's web application: one page per thing the ledger holds, rendered on the server.

Every value comes from the ledger's HTTP API through the SDK's ``LedgerClient``; nothing here
knows the backend's storage. Pages are plain HTML with local assets; the only script
(``static/verify.js``) checks an entry's inclusion proof against the signed tree head.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from chain_client import human
from chain_client.client import LedgerClient, LedgerHTTPError, NotFoundError, UnreachableError
from explorer import anchors, export, market_routes, pages, trace
from explorer.names import Names
from explorer.search import search

RECENT = 15


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("explorer", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["when"] = human.when
    env.filters["duration"] = human.duration
    env.filters["hours"] = human.machine_hours
    env.filters["pct"] = human.percent_bps
    env.filters["short"] = human.short_account
    env.filters["reading"] = human.readings
    env.filters["url"] = lambda value: quote(str(value), safe="")
    return env


def _export(kind: str, name: str, columns: list[str], rows: Iterator[dict[str, Any]]) -> Response:
    if kind == "csv":
        body, media = export.csv_stream(columns, rows), "text/csv; charset=utf-8"
    elif kind == "json":
        body, media = export.json_stream(rows), "application/json"
    else:
        raise NotFoundError(404, "not_found", f"no export as {kind!r}: csv or json")
    headers = {"Content-Disposition": f'attachment; filename="{name}.{kind}"'}
    return StreamingResponse(body, media_type=media, headers=headers)


def create_app(
    ledger_url: str,
    *,
    client: LedgerClient | None = None,
    api_page: int = 1000,
    witnesses: Sequence[str] = (),
) -> FastAPI:
    """The explorer of the ledger at ``ledger_url``; exports read ``api_page`` rows a request.

    ``witnesses`` are the vkeys of witnesses whose cosignatures the home page checks.
    """
    ledger = client or LedgerClient(ledger_url, timeout=30.0, retries=1)
    env = _environment()
    shown = min(pages.JOURNAL_PAGE, api_page)  # rows a listed page shows

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if client is None:  # a client passed in belongs to the caller
            ledger.close()

    app = FastAPI(
        title="Lease Chain explorer", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    static = Path(str(resources.files("explorer") / "static"))
    app.mount("/static", StaticFiles(directory=static), name="static")

    def render(name: str, status: int = 200, **values: Any) -> HTMLResponse:  # noqa: ANN401 - template values
        html = env.get_template(name).render(**values)
        return HTMLResponse(html, status_code=status)

    def page(name: str, build: Callable[[LedgerClient, Names], dict[str, Any]]) -> HTMLResponse:
        names = Names.load(ledger)
        return render(name, names=names, now=int(time.time()), **build(ledger, names))

    _error_pages(app, render)
    _pages(app, ledger, page, render, witnesses=witnesses, shown=shown)
    _exports(app, ledger, api_page)
    return app


Render = Callable[..., HTMLResponse]
Page = Callable[[str, Callable[[LedgerClient, Names], dict[str, Any]]], HTMLResponse]


def _error_pages(app: FastAPI, render: Render) -> None:
    """A page in words for each way a request fails: not found, refused or unreachable ledger."""

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return render("error.html", 404, title="Not found", detail=exc.detail or str(exc))

    @app.exception_handler(LedgerHTTPError)
    async def refused(request: Request, exc: LedgerHTTPError) -> Response:
        if exc.reason == "bad_cursor":  # a page link edited or from another list: the reader's mistake
            return render("error.html", 400, title="Not a page of this list", detail=exc.detail or str(exc))
        return render(
            "error.html", 502, title="The ledger refused the request", detail=exc.detail or str(exc)
        )

    @app.exception_handler(UnreachableError)
    async def unreachable(request: Request, exc: UnreachableError) -> Response:
        return render("error.html", 502, title="The ledger does not answer", detail=str(exc))


def _pages(
    app: FastAPI,
    ledger: LedgerClient,
    page: Page,
    render: Render,
    *,
    witnesses: Sequence[str],
    shown: int,
) -> None:
    """The explorer's HTML pages and the JSON its scripts poll; lists show ``shown`` rows a page."""

    @app.get("/", response_class=HTMLResponse)
    def home() -> HTMLResponse:
        """The latest signed tree head, totals and the most recent entries."""
        return page("home.html", lambda c, n: pages.home(c, n, RECENT, witnesses))

    @app.get("/head.json")
    def head() -> JSONResponse:
        """The latest signed tree head (the home page polls it to say when new entries arrived)."""
        return JSONResponse(ledger.tree_head().to_json())

    @app.get("/search", response_class=HTMLResponse)
    def find(q: str = "") -> Response:
        """One match opens its page; several are listed."""
        names = Names.load(ledger)
        hits = search(ledger, q, names)
        if len(hits) == 1:
            return RedirectResponse(hits[0].url, status_code=303)
        return render("search.html", names=names, query=q, hits=hits, now=int(time.time()))

    @app.get("/entry/{index}", response_class=HTMLResponse)
    def entry(index: int) -> HTMLResponse:
        """One log entry: the transaction in words, its signer, effects and inclusion proof."""
        return page("entry.html", lambda c, n: pages.entry(c, n, index))

    @app.get("/entry/{index}/proof.json")
    def proof(index: int) -> JSONResponse:
        """What the page's script checks: the entry bytes, its audit path and the signed tree head."""
        return JSONResponse(pages.proof(ledger, index))

    @app.get("/log", response_class=HTMLResponse)
    def log(before: int | None = None) -> HTMLResponse:
        """The log, newest first, a page at a time; ``before`` is the cursor (an entry index)."""
        return page("log.html", lambda c, n: pages.log(c, n, before))

    @app.get("/machine/{token}", response_class=HTMLResponse)
    def machine(token: str, readings: str | None = None) -> HTMLResponse:
        """A machine: owner, shares, sensors, leases, usage and a page of readings (from ``readings``)."""
        return page("machine.html", lambda c, n: pages.machine(c, n, token, readings, shown))

    @app.get("/enterprise/{account}", response_class=HTMLResponse)
    def enterprise(account: str, journal: str | None = None, payouts: str | None = None) -> HTMLResponse:
        """An enterprise (or any account): certification, credit, balance, journal and payouts by page."""
        return page("enterprise.html", lambda c, n: pages.enterprise(c, n, account, journal, payouts, shown))

    @app.get("/lease/{lease_id}", response_class=HTMLResponse)
    def lease(lease_id: str) -> HTMLResponse:
        """A lease: terms, invoices, payments and payouts per party."""
        return page("lease.html", lambda c, n: pages.lease(c, n, lease_id))

    @app.get("/lease/{lease_id}/trace/{period}.json")
    def trace_json(lease_id: str, period: int) -> JSONResponse:
        """What "trace this payout" checks in the page: invoice, readings, keys, batches, proofs."""
        return JSONResponse(trace.trace(ledger, lease_id, period))

    @app.get("/invoice/{invoice_id}", response_class=HTMLResponse)
    def invoice(invoice_id: str, readings: str | None = None) -> HTMLResponse:
        """An invoice: its usage, a page of the readings behind it (from ``readings``), its payout lines."""
        return page("invoice.html", lambda c, n: pages.invoice(c, n, invoice_id, readings, shown))

    @app.get("/chain", response_class=HTMLResponse)
    def chain() -> HTMLResponse:
        """The log's checkpoints anchored on EVM chains: chain, contract, size, root, block, transaction."""
        return page("chain.html", anchors.page)

    market_routes.add(app, page, shown)  # requests, listings, rankings, credit scores, services


def _exports(app: FastAPI, ledger: LedgerClient, api_page: int) -> None:
    """The log, an account's payouts and journal, and a machine's readings as CSV or JSON downloads."""

    @app.get("/log.{kind}")
    def log_export(kind: str) -> Response:
        """The whole log as CSV or JSON, streamed."""
        names = Names.load(ledger)
        return _export(kind, "leasechain-log", export.LOG_COLUMNS, export.log_rows(ledger, names))

    @app.get("/enterprise/{account}/payouts.{kind}")
    def payouts_export(account: str, kind: str) -> Response:
        """Every payout line an account received, as CSV or JSON."""
        names = Names.load(ledger)
        rows = export.payout_rows(ledger, names, account, api_page)
        return _export(kind, f"payouts-{account[:16]}", export.PAYOUT_COLUMNS, rows)

    @app.get("/enterprise/{account}/journal.{kind}")
    def journal_export(account: str, kind: str) -> Response:
        """Every posting that touched an account, as CSV or JSON."""
        names = Names.load(ledger)
        rows = export.journal_rows(ledger, names, account, api_page)
        return _export(kind, f"journal-{account[:16]}", export.JOURNAL_COLUMNS, rows)

    @app.get("/machine/{token}/readings.{kind}")
    def readings_export(token: str, kind: str) -> Response:
        """Every reading stored for a machine, in stamp order, as CSV or JSON."""
        ledger.token(token)  # an unknown machine is a 404 page, not an empty file
        rows = export.reading_rows(ledger, api_page, token=token)
        return _export(kind, f"readings-{token[:24]}", export.READING_COLUMNS, rows)
