"""Exceptions of the backend.

Refused transactions raise :class:`chain_client.ledger.TransactionError` with
a named reason; this module holds the rest: bad configuration or storage
(:class:`BackendError`), queries for things that do not exist
(:class:`NotFoundError`), and the operator's request to stop (:class:`Stopped`).
"""

from __future__ import annotations

from chain_client.errors import LeaseChainError


class BackendError(LeaseChainError):
    """The backend cannot run as configured (bad URL, unreadable key, corrupt log, ...)."""


class DatabaseInUseError(BackendError):
    """Another backend holds the writer lock of the database."""


class WitnessError(BackendError):
    """A witness refused a checkpoint, answered something invalid, or stayed unavailable."""


class Stopped(BaseException):
    """SIGTERM or SIGINT asked the server to stop.

    A ``BaseException`` like ``KeyboardInterrupt``, so that no ``except
    Exception`` on the way swallows it and every ``finally`` still runs.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class NotFoundError(LeaseChainError):
    """A query named an entity that does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} {key!r}")
        self.kind = kind
        self.key = key
