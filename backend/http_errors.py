"""Every error answer of the HTTP API: one JSON shape, a named reason, a bounded detail.

docs/ledger.md ("HTTP API"): an error is ``{"reason": ..., "detail": ...}``
where ``detail`` is one sentence naming the bad parameter or path and its
value, cut to :data:`MAX_DETAIL` characters so an answer never echoes a large
input back.  :func:`install` maps each exception to its answer: FastAPI's
validation errors, Starlette's HTTP errors (unknown route, wrong method), the
ledger's own errors and, last, anything unexpected (500, no traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from backend.errors import BackendError, NotFoundError
from chain_client.errors import LeaseChainError, ProtocolError

MAX_DETAIL = 300
MAX_VALUE = 40
MAX_PROBLEMS = 3
INTERNAL_DETAIL = "the ledger could not answer this request; the operator's log has the cause"
_HTTP_REASONS = {404: "not_found", 405: "method_not_allowed", 413: "too_large", 415: "bad_encoding"}

log = logging.getLogger(__name__)


def clip(text: str, limit: int = MAX_DETAIL) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error(reason: str, detail: str, status: int, headers: Mapping[str, str] | None = None) -> Response:
    """The error answer ``{"reason", "detail"}`` with ``detail`` bounded."""
    return JSONResponse({"reason": reason, "detail": clip(detail)}, status_code=status, headers=headers)


def problem(item: Mapping[str, Any]) -> str:
    """One pydantic validation error as a phrase naming the parameter and its value."""
    loc = [str(part) for part in item.get("loc", ())]
    where = f"{loc[0]} parameter {'.'.join(loc[1:])!r}" if len(loc) > 1 else "the request"
    if item.get("type") == "missing":
        return f"{where} is missing"
    message = str(item.get("msg", "is not valid"))
    value = clip(str(item.get("input")), MAX_VALUE)
    return f"{where} is {value!r}: {message[:1].lower()}{message[1:]}"


def validation_detail(items: Sequence[Mapping[str, Any]]) -> str:
    """The first few validation errors of a request, in one sentence."""
    text = "; ".join(problem(item) for item in items[:MAX_PROBLEMS])
    more = len(items) - MAX_PROBLEMS
    return f"{text} (and {more} more)" if more > 0 else text


def http_detail(request: Request, exc: HTTPException) -> str:
    """What an HTTP error raised by the routing means, naming the method and path."""
    target = f"{request.method} {clip(request.url.path, MAX_VALUE)!r}"
    if exc.status_code == 404 and exc.detail == "Not Found":
        return f"no route {target}"
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return f"method not allowed: {target} (allowed: {allowed})"
    return str(exc.detail)


async def on_http_error(request: Request, exc: HTTPException) -> Response:
    """Unknown route, wrong method or any other HTTPException (its headers kept, e.g. ``Allow``)."""
    status = exc.status_code
    reason = _HTTP_REASONS.get(status, "bad_request" if status < 500 else "internal_error")
    return error(reason, http_detail(request, exc), status, exc.headers)


async def on_validation_error(_request: Request, exc: RequestValidationError) -> Response:
    """A parameter of the wrong type or out of range: 400, not FastAPI's 422 (a rule refusal here)."""
    return error("bad_request", validation_detail(exc.errors()), 400)


async def on_not_found(_request: Request, exc: NotFoundError) -> Response:
    """A query named an entity that does not exist."""
    return error("not_found", str(exc), 404)


async def on_protocol_error(_request: Request, exc: ProtocolError) -> Response:
    """A malformed device id or message: its protocol reason."""
    return error(exc.reason.value, exc.detail, 400)


async def on_bad_request(_request: Request, exc: LeaseChainError) -> Response:
    """Any other error of ours a request caused (a Merkle proof outside the tree, ...)."""
    return error("bad_request", str(exc), 400)


async def on_backend_error(_request: Request, exc: BackendError) -> Response:
    """The ledger's storage failed: our fault, not the request's, so 500 and the cause only in the log."""
    log.error("backend error while answering a request", exc_info=exc)
    return error("internal_error", INTERNAL_DETAIL, 500)


async def on_unexpected(_request: Request, _exc: Exception) -> Response:
    """A bug: a generic 500.  Starlette re-raises the exception after this answer, so the server logs it."""
    return error("internal_error", INTERNAL_DETAIL, 500)


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` in the documented shape (the most specific handler wins)."""
    # The decorator form: Starlette types add_exception_handler's handlers as taking any Exception.
    app.exception_handler(HTTPException)(on_http_error)
    app.exception_handler(RequestValidationError)(on_validation_error)
    app.exception_handler(NotFoundError)(on_not_found)
    app.exception_handler(ProtocolError)(on_protocol_error)
    app.exception_handler(BackendError)(on_backend_error)
    app.exception_handler(LeaseChainError)(on_bad_request)
    app.exception_handler(Exception)(on_unexpected)
