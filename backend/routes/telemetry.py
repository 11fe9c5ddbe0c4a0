"""Device messages the ledger stored: a filtered page, one message's proof, and the live stream."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from backend import paging
from backend.paging import CursorParam
from backend.params import Index, Position, ReadingsLimit, Seconds
from backend.reads import ReadingFilter
from backend.routes.context import Context, answer, not_json
from chain_client.client import models as m

Order = Annotated[
    Literal["asc", "desc"],
    Query(description="asc: oldest first, by (stamp, batch, position); desc: newest first"),
]
EVENTS = not_json("text/event-stream", "one `reading` event per newly verified reading")


def add(api: APIRouter, context: Context) -> None:
    """``/v1/telemetry`` and ``/v1/stream/readings``."""
    reads = context.reads

    @api.get("/v1/telemetry", response_model=m.Readings)
    async def telemetry(
        request: Request,
        device: str | None = None,
        token: str | None = None,
        since: Seconds | None = None,
        until: Seconds | None = None,
        status: str | None = None,
        limit: ReadingsLimit = 100,
        cursor: CursorParam = None,
        order: Order = "asc",
    ) -> Response:
        """Stored device messages by device, token, stamp range and verdict; stamp order or newest first."""
        # A cursor names its order: one of an ascending list cannot resume a descending one.
        query = [device, token, since, until, status] + ([order] if order == "desc" else [])
        listing = "telemetry:" + json.dumps(query)
        resume = paging.int_keys(context.after(listing, cursor), 3, "telemetry") if cursor else None
        after = None if resume is None else (resume[0], resume[1], resume[2])
        where = ReadingFilter(device, token, since, until, status, newest_first=order == "desc")
        found, last = await asyncio.to_thread(reads.telemetry, where, after, limit)
        return context.page(request, m.Readings(readings=found), listing, last)

    @api.get("/v1/telemetry/{batch}/{position}/proof", response_model=m.ReadingProof)
    async def reading_proof(batch: Index, position: Position) -> Response:
        """A message, its inclusion in its batch, the batch's entry and its inclusion in the log."""
        return answer(await asyncio.to_thread(reads.reading_proof, batch, position))

    @api.get("/v1/stream/readings", response_class=StreamingResponse, responses=EVENTS)
    async def stream(request: Request) -> StreamingResponse:
        """Server-Sent Events: one ``reading`` event per newly verified reading."""
        return StreamingResponse(
            context.stream.events(request.is_disconnected), media_type="text/event-stream"
        )
