"""Exceptions of the witness."""

from __future__ import annotations

from chain_client.errors import LeaseChainError


class WitnessError(LeaseChainError):
    """A configuration, key or state file is missing or malformed."""
