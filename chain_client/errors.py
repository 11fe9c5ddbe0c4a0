"""Exceptions raised by the Lease Chain SDK.

Every error carries enough to act on: protocol errors carry a named
:class:`~chain_client.reasons.Reason` that gateways count and quarantine by.
"""

from __future__ import annotations

from chain_client.reasons import Reason


class LeaseChainError(Exception):
    """Base class of every error this package raises on purpose."""


class ProtocolError(LeaseChainError):
    """A message or frame broke docs/protocol.md; ``reason`` names the rule."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class MerkleError(LeaseChainError):
    """A Merkle tree request or proof is malformed or does not verify."""
