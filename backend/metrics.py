"""Prometheus metrics of the backend, on their own registry, and the middleware that counts requests.

Requests are labelled by route template (``/v1/tokens/{token_id}``), never by the raw path, so a
client choosing paths cannot grow the number of series.
"""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NAMESPACE = "leasechain_backend"


class Metrics:
    """Every metric the backend exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "http_requests",
            "HTTP requests, by method, route and status",
            ["method", "route", "status"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.latency = Histogram(
            "http_request_seconds",
            "Time to answer an HTTP request, by route",
            ["route"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.appends = Counter(
            "appends", "Log entries appended by this process", namespace=NAMESPACE, registry=r
        )
        self.log_size = Gauge("log_size", "Entries in the log", namespace=NAMESPACE, registry=r)
        self.start_seconds = Gauge(
            "startup_seconds", "Time the last start took to load the state", namespace=NAMESPACE, registry=r
        )
        self.started_from = Gauge(
            "startup_snapshot_size",
            "Log size of the snapshot the last start loaded (0: full replay)",
            namespace=NAMESPACE,
            registry=r,
        )


def route_of(app: ASGIApp, scope: Scope) -> str:
    """The route template that matches ``scope``, or ``other`` (unknown paths share one series)."""
    for route in getattr(app, "routes", []):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", "other"))
    return "other"


class RequestMetrics:
    """ASGI middleware: count and time every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics, router: ASGIApp) -> None:
        self.app = app
        self.metrics = metrics
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request and record its route, status and time."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = route_of(self.router, scope)
        status = {"code": 500}
        started = time.perf_counter()

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.metrics.requests.labels(scope.get("method", ""), route, str(status["code"])).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
