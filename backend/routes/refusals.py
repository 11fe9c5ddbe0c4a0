"""Refusals of submissions as HTTP answers: each reason's status and the refusal's JSON."""

from __future__ import annotations

from fastapi.responses import Response

from backend import http_errors
from backend.routes.context import answer
from chain_client.client.models import Refusal
from chain_client.ledger.errors import TransactionError
from chain_client.ledger.reasons import TxReason

_FORBIDDEN = {
    TxReason.NOT_OPERATOR,
    TxReason.NOT_REVIEWER,
    TxReason.NOT_REGISTERED,
    TxReason.NOT_CERTIFIED,
    TxReason.ROLE_NOT_ALLOWED,
    TxReason.NOT_OWNER,
    TxReason.NOT_OWNER_OR_APPROVED,
    TxReason.NOT_LESSEE,
    TxReason.SELF_REVIEW,
    TxReason.SELF_DEPOSIT,
    TxReason.NOT_LESSOR,
    TxReason.NOT_ANCHOR_RECORDER,
    TxReason.NOT_REQUESTER,
    TxReason.NOT_CLIENT,
    TxReason.NOT_ORDER_SERVICE,
}
_MALFORMED = {
    TxReason.BAD_ENCODING,
    TxReason.TOO_LARGE,
    TxReason.UNSUPPORTED_VERSION,
    TxReason.BAD_SIGNATURE,
    TxReason.UNKNOWN_TYPE,
    TxReason.BAD_ID,
    TxReason.BAD_ARGS,
    TxReason.WRONG_LEDGER,
    TxReason.BAD_REPORT_SIGNATURE,
}
_MISSING = {
    TxReason.UNKNOWN_ENTERPRISE,
    TxReason.UNKNOWN_TOKEN,
    TxReason.UNKNOWN_LEASE,
    TxReason.UNKNOWN_INVOICE,
    TxReason.UNKNOWN_REQUEST,
    TxReason.UNKNOWN_LISTING,
    TxReason.UNKNOWN_GUARANTEE,
    TxReason.UNKNOWN_ORDER,
}
_CONFLICT = {
    TxReason.ID_CONFLICT,
    TxReason.GENESIS_EXISTS,
    TxReason.DUPLICATE_TOKEN,
    TxReason.TOKEN_ALREADY_LEASED,
    TxReason.DEVICE_IN_USE,
    TxReason.DEVICE_ALREADY_BOUND,
    TxReason.ALREADY_CERTIFIED,
    TxReason.ALREADY_REVIEWER,
    TxReason.ALREADY_REVIEWED,
    TxReason.ALREADY_INVOICED,
    # The signer saw another meter than the ledger holds (a batch landed in between): read again.
    TxReason.EVIDENCE_MISMATCH,
    TxReason.ALREADY_PAID,
    TxReason.ANCHOR_NOT_NEWER,
    TxReason.TOKEN_LISTED,
    TxReason.GUARANTEE_SETTLED,
    TxReason.ALREADY_RATED,
}


def http_status(reason: TxReason) -> int:
    """HTTP status of a refusal: 400 malformed, 403 not allowed, 404 unknown, 409 conflict, 422 rule."""
    if reason in _MALFORMED:
        return 400
    if reason in _FORBIDDEN:
        return 403
    if reason in _MISSING:
        return 404
    if reason in _CONFLICT:
        return 409
    return 422


def refusal(exc: TransactionError) -> Refusal:
    """The JSON of a refused submission: ``rejected``, its reason and a bounded detail."""
    return Refusal(status="rejected", reason=exc.reason.value, detail=http_errors.clip(exc.detail))


def refused(exc: TransactionError) -> Response:
    """The answer to a refused submission, with its reason's status."""
    return answer(refusal(exc), http_status(exc.reason))
