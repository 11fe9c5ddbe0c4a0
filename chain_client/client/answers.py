"""Reading the backend's HTTP answers: success bodies, refusals and errors.

docs/ledger.md ("HTTP API"): errors are JSON ``{"reason": ..., "detail": ...}``
(a refused submission also carries ``"status": "rejected"``).  A refusal whose
reason is a :class:`TxReason` becomes :class:`RejectedError`; a 404
:class:`NotFoundError`; anything else :class:`LedgerHTTPError`.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import ValidationError

from chain_client.client.errors import BadResponseError, LedgerHTTPError, NotFoundError, RejectedError
from chain_client.client.models import TelemetryReading, TxResult
from chain_client.ledger.reasons import TxReason

TX_REASONS = frozenset(r.value for r in TxReason)
RETRY_STATUSES = frozenset({502, 503, 504})


def body_json(response: httpx.Response) -> Any:  # noqa: ANN401 - JSON of any shape
    """The JSON body of a response, or :class:`BadResponseError` naming what came instead."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = response.text[:120]
        raise BadResponseError(
            f"{response.request.method} {response.request.url} answered HTTP {response.status_code} "
            f"with non-JSON {text!r}"
        ) from None


def error_of(response: httpx.Response, *, tx_id: str = "") -> LedgerHTTPError:
    """The exception for an error answer."""
    url = str(response.request.url)
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("reason"), str):
        reason, detail = data["reason"], str(data.get("detail", ""))
    elif isinstance(data, dict) and "detail" in data:
        reason, detail = "bad_request", json.dumps(data["detail"])[:500]
    else:
        reason, detail = "http_error", response.text[:200]
    if reason in TX_REASONS:
        return RejectedError(response.status_code, TxReason(reason), detail, url=url, tx_id=tx_id)
    if response.status_code == 404:
        return NotFoundError(404, reason, detail, url=url)
    return LedgerHTTPError(response.status_code, reason, detail, url=url)


def check(response: httpx.Response, *, tx_id: str = "") -> Any:  # noqa: ANN401 - JSON of any shape
    """The JSON of a successful answer; raise the matching error otherwise."""
    if response.status_code >= 400:
        raise error_of(response, tx_id=tx_id)
    return body_json(response)


def tx_result(data: Any) -> TxResult:  # noqa: ANN401 - JSON of any shape, validated here
    """A submission answer as :class:`TxResult`."""
    try:
        return TxResult.model_validate(data)
    except ValidationError as exc:
        raise BadResponseError(f"the backend's submission answer is not a result: {exc}") from None


def batch_results(data: Any, url: str) -> list[TxResult | RejectedError]:  # noqa: ANN401 - JSON, validated here
    """The per-transaction outcomes of a batch submission, in order."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise BadResponseError("the batch answer has no 'results' list")
    out: list[TxResult | RejectedError] = []
    for item in data["results"]:
        if isinstance(item, dict) and item.get("status") == "rejected":
            reason = item.get("reason")
            if reason not in TX_REASONS:
                raise BadResponseError(f"batch result names unknown reason {reason!r}")
            out.append(RejectedError(200, TxReason(reason), str(item.get("detail", "")), url=url))
        else:
            out.append(tx_result(item))
    return out


def reading(data: Any) -> TelemetryReading:  # noqa: ANN401 - JSON of any shape, validated here
    """One ``reading`` event of the stream."""
    try:
        return TelemetryReading.model_validate(data)
    except ValidationError as exc:
        raise BadResponseError(f"a streamed reading is not a reading: {exc}") from None
