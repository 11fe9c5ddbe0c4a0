"""Exceptions of the backend.

Refused transactions raise :class:`chain_client.ledger.TransactionError` with
a named reason; this module holds the rest: bad configuration or storage
(:class:`BackendError`) and queries for things that do not exist
(:class:`NotFoundError`).
"""

from __future__ import annotations

from chain_client.errors import LeaseChainError


class BackendError(LeaseChainError):
    """The backend cannot run as configured (bad URL, unreadable key, corrupt log, ...)."""


class NotFoundError(LeaseChainError):
    """A query named an entity that does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} {key!r}")
        self.kind = kind
        self.key = key
