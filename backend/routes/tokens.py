"""Equipment tokens, their share holders and usage, and the device keys bound to them."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend import paging
from backend.paging import CursorParam, PageLimit
from backend.params import Seconds
from backend.routes.context import Context, answer
from chain_client.client import models as m


def add(api: APIRouter, context: Context) -> None:
    """``/v1/tokens`` and ``/v1/devices``."""
    reads = context.reads

    @api.get("/v1/tokens", response_model=list[m.Token])
    async def tokens(
        request: Request,
        limit: PageLimit = paging.MAX_PAGE,
        cursor: CursorParam = None,
        party: str | None = None,
    ) -> Response:
        """Tokens by id, a page at a time (docs: Paging); with ``party``, those it owns or made."""
        listing = "tokens" if party is None else "tokens:" + json.dumps([party])
        start = paging.text_key(context.after(listing, cursor), "token") if cursor else None
        found, last = reads.tokens(start, limit, party)
        return context.page_list(request, found, listing, last)

    @api.get("/v1/tokens/{token_id}", response_model=m.Token)
    async def token(token_id: str) -> Response:
        """One token."""
        return answer(reads.token(token_id))

    @api.get("/v1/tokens/{token_id}/holders", response_model=m.Holders)
    async def holders(token_id: str) -> Response:
        """Share holders of a token."""
        return answer(reads.holders(token_id))

    @api.get("/v1/tokens/{token_id}/usage", response_model=m.Usage)
    async def usage(token_id: str, start: Seconds, end: Seconds) -> Response:
        """Verified run-seconds of a token stamped in ``[start, end)``."""
        return answer(await asyncio.to_thread(reads.usage, token_id, start, end))

    @api.get("/v1/devices", response_model=m.DeviceRegistry)
    async def devices(
        request: Request, limit: PageLimit = paging.MAX_PAGE, cursor: CursorParam = None
    ) -> Response:
        """Device bindings by device id (the registry gateways sync), a page at a time."""
        start = paging.text_key(context.after("devices", cursor), "device") if cursor else None
        found, last = reads.devices(start, limit)
        return context.page(request, found, "devices", last)

    @api.get("/v1/devices/{device}", response_model=m.DeviceBinding)
    async def device(device: str) -> Response:
        """One device binding."""
        return answer(reads.device(device))
