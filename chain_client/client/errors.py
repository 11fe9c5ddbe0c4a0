"""Exceptions of the ledger client.

A refused transaction raises :class:`RejectedError` carrying the ledger's named
reason (:class:`~chain_client.ledger.TxReason`) and the HTTP status; every
other answer that is not a success raises :class:`LedgerHTTPError` (or its
:class:`NotFoundError`), and an unreachable backend :class:`UnreachableError`.
"""

from __future__ import annotations

from chain_client.errors import LeaseChainError
from chain_client.ledger.reasons import TxReason


class ClientError(LeaseChainError):
    """Base of every error the ledger client raises on purpose."""


class LedgerHTTPError(ClientError):
    """The backend answered with an error: ``status`` is the HTTP status, ``reason`` its named reason."""

    def __init__(self, status: int, reason: str, detail: str, *, url: str = "") -> None:
        super().__init__(f"{reason} (HTTP {status}): {detail}" + (f" [{url}]" if url else ""))
        self.status = status
        self.reason = reason
        self.detail = detail
        self.url = url


class RejectedError(LedgerHTTPError):
    """The ledger refused a transaction; ``tx_reason`` is the rule it broke."""

    def __init__(self, status: int, reason: TxReason, detail: str, *, url: str = "", tx_id: str = "") -> None:
        super().__init__(status, reason.value, detail, url=url)
        self.tx_reason = reason
        self.tx_id = tx_id


class NotFoundError(LedgerHTTPError):
    """The entity asked for does not exist on the ledger (HTTP 404)."""


class UnreachableError(ClientError):
    """The backend could not be reached (after retries); names the URL."""


class BadResponseError(ClientError):
    """The backend answered something this client cannot read (not the documented JSON)."""


class KeystoreError(ClientError):
    """A keystore file or key cannot be used: unknown name, wrong passphrase, corrupt file."""
