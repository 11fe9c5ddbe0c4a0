"""Exceptions of the credit score."""

from __future__ import annotations

from chain_client.errors import LeaseChainError


class CreditError(LeaseChainError):
    """A log could not be read into a credit book: an entry that does not decode, a tree that differs."""
