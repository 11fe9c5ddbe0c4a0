"""The transparency log: tree heads, proofs, raw entries, the signed checkpoint and its tiles."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import Response

from backend import tiles
from backend.http_errors import error
from backend.params import Index
from backend.routes.context import Context, answer, not_json
from chain_client.client import models as m
from chain_client.tlog.errors import TileError

CHECKPOINT = not_json("text/plain", "a signed note (c2sp.org/signed-note)")
TILE = not_json("application/octet-stream", "a tile or entry bundle (c2sp.org/tlog-tiles)", binary=True)


def add(api: APIRouter, context: Context) -> None:
    """``/v1/log/...`` (RFC 9162 tree heads and proofs), ``/checkpoint`` and ``/tile/...`` (C2SP)."""
    reads = context.reads

    @api.get("/v1/log/tree-head", response_model=m.SignedTreeHead)
    async def tree_head() -> Response:
        """The latest signed tree head."""
        return answer(await asyncio.to_thread(reads.tree_head))

    @api.get("/v1/log/proof/inclusion", response_model=m.InclusionProof)
    async def inclusion(index: Index, tree_size: Index) -> Response:
        """RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
        return answer(reads.inclusion(index, tree_size))

    @api.get("/v1/log/proof/consistency", response_model=m.ConsistencyProof)
    async def consistency(first: Index, second: Index) -> Response:
        """RFC 9162 consistency proof between tree sizes ``first`` and ``second``."""
        return answer(reads.consistency(first, second))

    @api.get("/v1/log/entries", response_model=m.RawEntries)
    async def entries(start: Index = 0, end: Index | None = None) -> Response:
        """Raw entries ``[start, end)`` in hex, at most 1000."""
        return answer(await asyncio.to_thread(reads.raw_entries, start, end))

    @api.get("/checkpoint", response_class=Response, responses=CHECKPOINT)
    async def checkpoint() -> Response:
        """The current tree as a c2sp.org/tlog-checkpoint signed note by the log key.

        With witnesses, the newest checkpoint whose cosignatures met the witness policy.
        """
        cosigner = context.cosigner
        body = reads.signed_checkpoint() if cosigner is None else cosigner.published.note
        if body is None:
            return error("not_witnessed", "no checkpoint has met the witness policy yet", 503)
        return Response(body, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "no-store"})

    @api.get("/tile/{path:path}", response_class=Response, responses=TILE)
    async def tile(path: str) -> Response:
        """A c2sp.org/tlog-tiles tile (``<L>/<N>[.p/<W>]``) or entry bundle (``entries/<N>[.p/<W>]``)."""
        try:
            data = await asyncio.to_thread(reads.tile, path)
        except TileError as exc:
            return error("bad_request", str(exc), 400)
        return Response(
            data, media_type="application/octet-stream", headers={"Cache-Control": tiles.IMMUTABLE}
        )
