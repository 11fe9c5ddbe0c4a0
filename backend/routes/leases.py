"""Leases, the evidence an ended period's invoice must name, and invoices (docs/ledger.md, 'Rent')."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend import paging
from backend.http_errors import error
from backend.paging import CursorParam, PageLimit
from backend.params import Index
from backend.routes.context import Context, answer
from backend.routes.refusals import http_status
from chain_client.client import models as m
from chain_client.ledger.errors import TransactionError


def add(api: APIRouter, context: Context) -> None:
    """``/v1/leases`` with their periods' evidence, and ``/v1/invoices/{id}``."""
    reads = context.reads

    @api.get("/v1/leases", response_model=list[m.Lease])
    async def leases(
        request: Request,
        limit: PageLimit = paging.MAX_PAGE,
        cursor: CursorParam = None,
        token: str | None = None,
        party: str | None = None,
    ) -> Response:
        """Leases by id, a page at a time (docs: Paging); only of ``token``, of ``party`` if given."""
        filtered = token is not None or party is not None
        listing = "leases:" + json.dumps([token, party]) if filtered else "leases"
        start = paging.text_key(context.after(listing, cursor), "lease") if cursor else None
        found, last = reads.leases(start, limit, token, party)
        return context.page_list(request, found, listing, last)

    @api.get("/v1/leases/{lease_id}", response_model=m.Lease)
    async def lease(lease_id: str) -> Response:
        """One lease with its invoices."""
        return answer(reads.lease(lease_id))

    @api.get("/v1/leases/{lease_id}/periods/{period}/evidence", response_model=m.PeriodEvidence)
    async def period_evidence(lease_id: str, period: Index) -> Response:
        """What an invoice of an ended period must name: usage, reading count and evidence digest."""
        try:
            found = await asyncio.to_thread(reads.evidence, lease_id, period)
        except TransactionError as exc:  # bad_period, period_not_ended: the ledger's own refusal
            return error(exc.reason.value, exc.detail, http_status(exc.reason))
        return answer(found)

    @api.get("/v1/invoices/{invoice_id}", response_model=m.Invoice)
    async def invoice(invoice_id: str) -> Response:
        """One invoice with its payout lines."""
        return answer(reads.invoice(invoice_id))
