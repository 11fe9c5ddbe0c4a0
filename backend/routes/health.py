"""Probes and metrics: liveness, readiness and the Prometheus text (docs/backend.md)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backend.errors import BackendError
from backend.http_errors import error
from backend.routes.context import Context, answer, not_json
from chain_client.client import models as m

METRICS = not_json(CONTENT_TYPE_LATEST, "Prometheus text format")


def add(api: APIRouter, context: Context) -> None:
    """``/healthz``, ``/readyz`` and ``/metrics``, which answer even while the writer holds its lock."""

    @api.get("/healthz", response_model=m.Health)
    async def healthz() -> Response:
        """Liveness: the process answers."""
        return answer(m.Health(status="ok"))

    @api.get("/readyz", response_model=m.Readiness)
    async def readyz() -> Response:
        """Readiness: the log is loaded, the writer runs and the database answers."""
        try:
            await asyncio.to_thread(context.reads.ping)
        except BackendError as exc:
            return error("not_ready", str(exc), 503)
        if context.writer is None:
            return error("not_ready", "the writer has not started", 503)
        return answer(m.Readiness(status="ready", tree_size=context.reads.size))

    @api.get("/metrics", response_class=Response, responses=METRICS)
    async def prometheus() -> Response:
        """Prometheus text format: requests, latency, appends, log size, start-up time."""
        context.metrics.log_size.set(context.reads.size)
        return Response(generate_latest(context.metrics.registry), media_type=CONTENT_TYPE_LATEST)
