"""The evidence an invoice names: which verified readings its usage rests on, as one digest.

An ``issue_invoice`` transaction signs ``usage_seconds`` and ``evidence``
(docs/ledger.md, 'Invoice evidence').  ``evidence`` is SHA-256 of the
canonical CBOR array of ``[batch index, position, increment]`` for every
verified reading of the token's devices that added usage (increment > 0)
and whose stamp lies in the period ``[start, end)``, sorted by
``(batch, position)``: exactly the readings whose increments sum to the
period's usage (:mod:`chain_client.ledger.usage`).

Signing the list, not only the sum, is what lets an auditor detect a bundle
that leaves out a whole anchored batch: dropping a batch changes the list
even where the meter's baseline would make the remaining increments add up
to the same total.  The ledger computes the evidence from its meters and
refuses an invoice that names other values (``evidence_mismatch``); the
auditor recomputes it from the bundle's proven readings.  Both call
:func:`period_evidence`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from chain_client import cbor

DIGEST_SIZE = 32


class Increment(NamedTuple):
    """Run-seconds one verified reading added, where it is in the log and when it is stamped.

    A tuple, not a dataclass: an invoice reads one per reading of its period, 100,000 and more.
    """

    batch: int
    position: int
    stamp: int
    seconds: int


@dataclass(frozen=True)
class Evidence:
    """The readings behind one period's usage, in ``(batch, position)`` order."""

    start: int
    end: int
    items: tuple[tuple[int, int, int], ...]  # (batch, position, increment)

    @cached_property
    def usage_seconds(self) -> int:
        """The period's usage: the sum of the increments (computed once)."""
        return sum(seconds for _, _, seconds in self.items)

    @property
    def count(self) -> int:
        """How many readings added usage in the period."""
        return len(self.items)

    @cached_property
    def digest(self) -> bytes:
        """SHA-256 of the canonical CBOR array of ``[batch, position, increment]`` (computed once)."""
        return evidence_digest(self.items)


def evidence_digest(items: Iterable[tuple[int, int, int]]) -> bytes:
    """The digest of an evidence list (already in ``(batch, position)`` order)."""
    # A tuple encodes as the same CBOR array as a list: no copy of 100,000 items to lists.
    return hashlib.sha256(cbor.dumps(items if isinstance(items, tuple | list) else list(items))).digest()


def period_evidence(increments: Iterable[Increment], start: int, end: int) -> Evidence:
    """The evidence of ``[start, end)``: the readings that added usage stamped inside it."""
    items = sorted(
        (i.batch, i.position, i.seconds) for i in increments if i.seconds > 0 and start <= i.stamp < end
    )
    return Evidence(start, end, tuple(items))


def mismatch(evidence: Evidence, usage_seconds: int, digest: bytes) -> str:
    """Why ``usage_seconds`` and ``digest`` are not ``evidence``'s; ``""`` when they are."""
    if usage_seconds == evidence.usage_seconds and digest == evidence.digest:
        return ""
    return (
        f"named {usage_seconds} run-seconds with evidence {digest.hex()}, but the readings stamped in "
        f"[{evidence.start}, {evidence.end}) give {evidence.usage_seconds} run-seconds from "
        f"{evidence.count} readings with evidence {evidence.digest.hex()}"
    )
