"""What the store takes and gives back: messages as received, outcomes, batches and counts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from chain_client.reasons import Reason


class StoreFull(Exception):  # noqa: N818 - a condition the caller waits out, not a failure
    """The store is at ``max_bytes`` with nothing it may delete; retry after anchoring."""


class Outcome(StrEnum):
    """What happened to one message."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class Result:
    """The outcome of one message, with the reason if quarantined or noted."""

    outcome: Outcome
    reason: Reason | None = None


_STORED = Result(Outcome.STORED)


class Received(NamedTuple):
    """One message as it arrived, before verification (a tuple: built for every message)."""

    raw: bytes
    topic: str | None
    source: str
    received_at: float


class QuarantineRow(NamedTuple):
    """One quarantined message: ``raw`` is all of it, or its first bytes when ``size`` is over the limit."""

    reason: str
    detail: str
    raw: bytes
    size: int
    sha256: bytes


@dataclass(frozen=True)
class Batch:
    """A sealed batch of readings awaiting (or past) anchoring."""

    id: str
    number: int
    root: bytes
    size: int
    created_at: float
    state: str
    attempts: int


@dataclass(frozen=True)
class Stats:
    """Counts for ``status`` and the metrics endpoint."""

    readings: int
    unbatched: int
    pending_batches: int
    pending_readings: int
    anchored_batches: int
    failed_batches: int
    quarantined: int
    last_anchor_at: float | None
    last_anchor_batch: str | None
    used_bytes: int
    counters: dict[str, int]
