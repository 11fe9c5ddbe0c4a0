"""Taking submissions: a bounded CBOR body in, the writer's outcome out (docs/ledger.md, 'Submitting')."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from backend.http_errors import error
from backend.ledger import Submission
from backend.routes.context import Context, answer
from backend.routes.refusals import refused
from backend.submitter import Outcome
from chain_client import cbor
from chain_client.cbor import CBORValue
from chain_client.client.models import TxResult
from chain_client.errors import ProtocolError
from chain_client.ledger.errors import TransactionError

CBOR_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/cbor": {"schema": {"type": "string", "format": "binary"}}},
    }
}


async def read_body(request: Request, limit: int) -> bytes | Response:
    """The CBOR body of a submission, refused (413) as soon as it is known to exceed ``limit`` bytes."""
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind not in ("application/cbor", "application/octet-stream"):
        return error("bad_encoding", f"content type {kind!r}, expected application/cbor", 415)
    too_large = error("too_large", f"request body is over {limit} bytes, the limit", 413)
    declared = request.headers.get("content-length", "")
    # A declared length says it all before one byte is read; the digit count guards int().
    if declared.isdigit() and (len(declared) > 19 or int(declared) > limit):
        return too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # chunked bodies carry no length: count as they come
        size += len(chunk)
        if size > limit:
            return too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_cbor(request: Request, limit: int, what: str) -> CBORValue | Response:
    """The decoded CBOR body of a submission, or the error answer (413, 415, 400 ``bad_encoding``)."""
    body = await read_body(request, limit)
    if isinstance(body, Response):
        return body
    try:
        return cbor.loads(body, what=what)
    except ProtocolError as exc:
        return error("bad_encoding", exc.detail, 400)


async def append(context: Context, items: list[Submission]) -> list[Outcome]:
    """Hand ``items`` to the writer and wait for their outcomes; wake the witnesses, count the appends."""
    if context.writer is None:
        raise RuntimeError("the ledger's writer has not started")
    outcomes = await context.writer.submit(items)
    if context.cosigner is not None:
        context.cosigner.wake.set()
    accepted = sum(1 for o in outcomes if isinstance(o, dict) and o.get("status") == "accepted")
    context.metrics.appends.inc(accepted)
    return outcomes


def result(outcome: dict[str, object]) -> TxResult:
    """An accepted (or duplicate) submission's outcome as its answer."""
    return TxResult.model_validate(outcome)


async def answer_one(context: Context, item: Submission) -> Response:
    """Submit one item: its result, or its refusal with the reason's status."""
    outcome = (await append(context, [item]))[0]
    if isinstance(outcome, TransactionError):
        return refused(outcome)
    return answer(result(outcome))
