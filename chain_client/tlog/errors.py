"""Exceptions of the transparency-log formats (signed notes, checkpoints, tiles)."""

from __future__ import annotations

from chain_client.errors import LeaseChainError


class NoteError(LeaseChainError):
    """A signed note, a verifier key or a checkpoint is malformed, or no trusted signature verifies."""


class TileError(LeaseChainError):
    """A tile or entry bundle is malformed, missing, or does not match the checkpoint."""
