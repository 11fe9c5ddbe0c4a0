"""The HTTP API (FastAPI): submit transactions, query the state, fetch tree heads and proofs.

docs/ledger.md lists every endpoint.  Transactions are posted as their exact
signed CBOR bytes (``application/cbor``); everything else is JSON, each answer
one of the SDK's models (:mod:`chain_client.client.models`), so the OpenAPI
document describes it.  The routes live in :mod:`backend.routes`, one module a
resource; this module assembles them with the middleware and the writer.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi_offline import FastAPIOffline

from backend import api_docs, http_errors, witnesses
from backend.http_errors import error
from backend.ledger import Ledger
from backend.metrics import Metrics, RequestMetrics
from backend.paging import CursorError
from backend.reads import Reads
from backend.routes import (
    accounts,
    batches,
    enterprises,
    health,
    info,
    leases,
    market,
    telemetry,
    tlog,
    tokens,
    transactions,
)
from backend.routes.context import Context
from backend.routes.refusals import http_status
from backend.submitter import Submitter

__all__ = ["UNLOCKED", "ReadLock", "create_app", "http_status"]
ROUTES = (
    market,
    health,
    info,
    tlog,
    transactions,
    batches,
    enterprises,
    tokens,
    accounts,
    leases,
    telemetry,
)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# Probes, metrics and the API's documentation read no ledger state: they answer while a big batch
# is being applied (and a slow download of a documentation asset never holds the writer).
UNLOCKED = frozenset({"/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json"})


class ReadLock:
    """ASGI middleware: state-reading requests wait while the writer changes the state."""

    def __init__(self, app: ASGIApp, submitter: Callable[[], Submitter | None]) -> None:
        self.app = app
        self.submitter = submitter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, under the writer's lock when it reads state."""
        writer = self.submitter()
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or writer is None
            or scope.get("method") == "POST"
            or path.startswith("/v1/stream")
            or path in UNLOCKED
            or path.startswith(api_docs.ASSETS + "/")
        ):
            await self.app(scope, receive, send)
            return
        async with writer.lock:
            await self.app(scope, receive, send)


def _lifespan(
    context: Context, ledger: Ledger
) -> Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]:
    """Start the writer, the reading stream and the witnesses with the server; stop them after it."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        submitter = Submitter(ledger)
        submitter.start()
        context.writer = submitter
        loop = asyncio.get_running_loop()
        context.stream.start(loop)
        hook = context.reads.listen(context.stream.publish)
        cosigner, cosigning = context.cosigner, None
        if cosigner is not None:
            cosigning = loop.create_task(witnesses.serve_checkpoints(cosigner, ledger, submitter.lock))
        try:
            yield
        finally:
            context.reads.unlisten(hook)
            if cosigner is not None and cosigning is not None:
                cosigning.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await cosigning
                await cosigner.close()
            await submitter.stop()

    return lifespan


def create_app(ledger: Ledger, cosigner: witnesses.Cosigner | None = None) -> FastAPI:
    """The FastAPI application serving ``ledger`` (already started).

    With a ``cosigner``, ``/checkpoint`` serves the newest checkpoint its witnesses co-signed.
    """
    context = Context(Reads(ledger), Metrics(), cosigner)
    # /docs and /redoc from the Swagger UI and ReDoc files fastapi-offline ships, not from a CDN
    # (backend/api_docs.py). No validator: Swagger UI would send the schema to its host.
    app = FastAPIOffline(
        static_url=api_docs.ASSETS,
        swagger_ui_parameters={"validatorUrl": None},
        title="Lease Chain ledger",
        version="1",
        description="Verifiable ledger of equipment tokens, leases, telemetry and rent (docs/ledger.md).",
        lifespan=_lifespan(context, ledger),
    )
    app.add_middleware(ReadLock, submitter=lambda: context.writer)
    app.add_middleware(api_docs.LocalOnly)
    context.metrics.start_seconds.set(ledger.open_seconds)
    context.metrics.started_from.set(ledger.started_from)
    app.add_middleware(RequestMetrics, metrics=context.metrics, router=app.router)
    http_errors.install(app)

    @app.exception_handler(CursorError)
    async def bad_cursor(_request: Request, exc: CursorError) -> Response:
        return error("bad_cursor", str(exc), 400)

    # On the app's own router, not included ones: the request metrics label a request by the route
    # it matches in app.router.routes (backend/metrics.py).
    for routes in ROUTES:
        routes.add(app.router, context)
    return app
