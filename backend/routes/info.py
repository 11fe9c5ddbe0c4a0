"""The ledger at a glance: its keys and currency, its totals, its state digest and its on-chain anchors."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response

from backend.routes.context import Context, answer, answer_list
from chain_client.client import models as m


def add(api: APIRouter, context: Context) -> None:
    """``/v1/info``, ``/v1/stats``, ``/v1/state/digest`` and ``/v1/anchors``."""
    reads = context.reads

    @api.get("/v1/info", response_model=m.Info)
    async def info() -> Response:
        """The log key, currency and size."""
        return answer(reads.info())

    @api.get("/v1/stats", response_model=m.Stats)
    async def stats() -> Response:
        """The ledger's totals: enterprises, machines, leases, rent paid and readings judged."""
        return answer(reads.stats())

    @api.get("/v1/state/digest", response_model=m.StateDigest)
    async def digest() -> Response:
        """Tree size and the digest of the state it implies."""
        return answer(await asyncio.to_thread(reads.state_digest))

    @api.get("/v1/anchors", response_model=list[m.RecordedAnchor])
    async def anchors() -> Response:
        """The newest on-chain anchor recorded per (chain, contract) (docs/chain.md)."""
        return answer_list(reads.anchors())
