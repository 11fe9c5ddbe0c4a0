"""Anchored batches of device messages: submit one with its messages, read one back (docs/ledger.md)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.http_errors import error
from backend.ledger import WithMessages
from backend.params import Index
from backend.routes.context import Context, answer
from backend.routes.submit import CBOR_BODY, answer_one, read_cbor
from chain_client.client import models as m
from chain_client.cose import MAX_MESSAGE_SIZE
from chain_client.ledger.schema import MAX_MESSAGES
from chain_client.ledger.transaction import MAX_TX_SIZE

# An anchor_batch and its messages: the transaction plus MAX_MESSAGES messages of at most
# MAX_MESSAGE_SIZE bytes, with room for their CBOR heads.
MAX_BATCH_BODY = MAX_TX_SIZE + MAX_MESSAGES * (MAX_MESSAGE_SIZE + 16)
SHAPE = "a batch submission is the CBOR array [transaction, [message, ...]]"


def _is_submission(item: object) -> bool:
    return (
        isinstance(item, list)
        and len(item) == 2
        and isinstance(item[0], bytes)
        and isinstance(item[1], list)
        and all(isinstance(x, bytes) for x in item[1])
    )


def add(api: APIRouter, context: Context) -> None:
    """``/v1/batches``: an ``anchor_batch`` with its messages in, an anchored batch out."""

    @api.post("/v1/batches", openapi_extra=CBOR_BODY, response_model=m.TxResult)
    async def submit_anchor(request: Request) -> Response:
        """Submit an ``anchor_batch`` with its messages: the CBOR array ``[transaction, [message, ...]]``."""
        item = await read_cbor(request, MAX_BATCH_BODY, "batch submission")
        if isinstance(item, Response):
            return item
        if not _is_submission(item):
            return error("bad_encoding", SHAPE, 400)
        return await answer_one(context, WithMessages(item[0], item[1]))

    @api.get("/v1/batches/{index}", response_model=m.AnchoredBatch)
    async def batch(index: Index) -> Response:
        """An anchored batch: its transaction's root and count, and its messages in leaf order."""
        return answer(await asyncio.to_thread(context.reads.batch, index))
