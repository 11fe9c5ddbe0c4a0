"""The one exception of ``chain_client.evm``."""

from __future__ import annotations

from chain_client.errors import LeaseChainError


class ChainError(LeaseChainError):
    """An EVM node could not be reached, answered an error, or answered something malformed."""
