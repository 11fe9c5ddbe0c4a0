"""Exceptions of the ledger model shared by the backend and its clients."""

from __future__ import annotations

from chain_client.errors import LeaseChainError
from chain_client.ledger.reasons import TxReason


class TransactionError(LeaseChainError):
    """A transaction was refused; ``reason`` names the rule it broke."""

    def __init__(self, reason: TxReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class TreeHeadError(LeaseChainError):
    """A signed tree head is malformed or its signature does not verify."""
