"""Enterprises with their certification and credit records (docs/ledger.md, 'HTTP API')."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend import paging
from backend.paging import CursorParam, PageLimit
from backend.routes.context import Context, answer
from chain_client.client import models as m


def add(api: APIRouter, context: Context) -> None:
    """``/v1/enterprises``: a page of them by account, or one."""
    reads = context.reads

    @api.get("/v1/enterprises", response_model=list[m.Enterprise])
    async def enterprises(
        request: Request, limit: PageLimit = paging.MAX_PAGE, cursor: CursorParam = None
    ) -> Response:
        """Enterprises with their credit records, by account; a page at a time (docs: Paging)."""
        start = paging.text_key(context.after("enterprises", cursor), "enterprise") if cursor else None
        found, last = reads.enterprises(start, limit)
        return context.page_list(request, found, "enterprises", last)

    @api.get("/v1/enterprises/{account}", response_model=m.Enterprise)
    async def enterprise(account: str) -> Response:
        """One enterprise with its credit record."""
        return answer(reads.enterprise(account))
