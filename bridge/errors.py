"""The one exception of the bridge."""

from __future__ import annotations

from chain_client.errors import LeaseChainError


class BridgeError(LeaseChainError):
    """A configuration, key or chain problem the bridge cannot work around; the message names it."""
