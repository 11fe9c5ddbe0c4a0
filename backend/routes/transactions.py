"""Submitting signed transactions and reading log entries back (docs/ledger.md, 'HTTP API')."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.http_errors import error
from backend.params import Index
from backend.routes.context import Context, answer
from backend.routes.refusals import refusal
from backend.routes.submit import CBOR_BODY, answer_one, append, read_body, read_cbor, result
from chain_client.client import models as m
from chain_client.ledger.errors import TransactionError
from chain_client.ledger.transaction import MAX_TX_SIZE

MAX_BODY = 8 * 1024 * 1024


def add(api: APIRouter, context: Context) -> None:
    """``/v1/transactions``: submit one or a batch, read an entry by index or by signer and id."""
    reads = context.reads

    @api.post("/v1/transactions", openapi_extra=CBOR_BODY, response_model=m.TxResult)
    async def submit(request: Request) -> Response:
        """Submit one signed transaction (its exact CBOR bytes)."""
        body = await read_body(request, MAX_TX_SIZE)
        if isinstance(body, Response):
            return body
        return await answer_one(context, body)

    @api.post("/v1/transactions/batch", openapi_extra=CBOR_BODY, response_model=m.BatchResults)
    async def submit_batch(request: Request) -> Response:
        """Submit a CBOR array of signed transactions; each gets its own outcome."""
        items = await read_cbor(request, MAX_BODY, "transaction batch")
        if isinstance(items, Response):
            return items
        if not isinstance(items, list) or not all(isinstance(i, bytes) for i in items):
            return error("bad_encoding", "a batch must be a CBOR array of signed transactions (bstr)", 400)
        outcomes = await append(context, list(items))
        found = [refusal(o) if isinstance(o, TransactionError) else result(o) for o in outcomes]
        return answer(m.BatchResults(results=found))

    @api.get("/v1/transactions/{index}", response_model=m.LogEntry)
    async def transaction(index: Index) -> Response:
        """One log entry, decoded."""
        return answer(await asyncio.to_thread(reads.entry, index))

    @api.get("/v1/transactions/by-id/{signer}/{tx_id}", response_model=m.LogEntry)
    async def transaction_by_id(signer: str, tx_id: str) -> Response:
        """The entry of a signer's transaction id."""
        return answer(await asyncio.to_thread(reads.entry_by_id, signer, tx_id))
