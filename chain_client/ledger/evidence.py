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
from operator import itemgetter
from typing import TypeAlias

from chain_client import cbor

DIGEST_SIZE = 32


Increment: TypeAlias = tuple[int, int, int, int]
"""Run-seconds one verified reading added, where it is in the log and when it is stamped:
``(batch, position, stamp, seconds)``.

A plain tuple, the row the database driver returns: an invoice reads one per reading of its
period, 100,000 and more, and building an object per row was a tenth of its time.
"""


@dataclass(frozen=True)
class Evidence:
    """The readings behind one period's usage, in ``(batch, position)`` order."""

    start: int
    end: int
    items: tuple[tuple[int, int, int], ...]  # (batch, position, increment)

    @cached_property
    def usage_seconds(self) -> int:
        """The period's usage: the sum of the increments (computed once)."""
        return sum(map(itemgetter(2), self.items))

    @property
    def count(self) -> int:
        """How many readings added usage in the period."""
        return len(self.items)

    @cached_property
    def digest(self) -> bytes:
        """SHA-256 of the canonical CBOR array of ``[batch, position, increment]`` (computed once)."""
        return evidence_digest(self.items)


class _IntEncodings(dict[int, bytes]):
    """Canonical CBOR of each integer, encoded once: an evidence list repeats its batch indices,
    positions and increments thousands of times."""

    def __missing__(self, value: int) -> bytes:
        encoded = self[value] = cbor.dumps(value)
        return encoded


def _array_head(length: int) -> bytes:
    """The head of a CBOR array of ``length`` items: an unsigned integer's head in major type 4."""
    head = cbor.dumps(length)
    return bytes((head[0] | 0x80,)) + head[1:]


_TRIPLE = _array_head(3)


class _ItemHeads(dict[int, bytes]):
    """An item's array head and its batch index, encoded once per batch."""

    def __init__(self, ints: _IntEncodings) -> None:
        super().__init__()
        self.ints = ints

    def __missing__(self, batch: int) -> bytes:
        encoded = self[batch] = _TRIPLE + self.ints[batch]
        return encoded


def evidence_digest(items: Iterable[tuple[int, int, int]]) -> bytes:
    """The digest of an evidence list (already in ``(batch, position)`` order).

    The bytes are exactly ``cbor.dumps`` of the list: a CBOR array is its head followed by its
    items, and each integer's encoding comes from ``cbor.dumps``; only the per-item work of the
    general encoder is left out (an invoice may rest on 100,000 readings and more).
    """
    listed = items if isinstance(items, tuple | list) else list(items)
    ints = _IntEncodings()
    heads = _ItemHeads(ints)
    parts = [_array_head(len(listed))]
    add = parts.append
    for batch, position, seconds in listed:  # appending the parts is faster than adding bytes
        add(heads[batch])
        add(ints[position])
        add(ints[seconds])
    return hashlib.sha256(b"".join(parts)).digest()


def period_evidence(increments: Iterable[Increment], start: int, end: int) -> Evidence:
    """The evidence of ``[start, end)``: the readings that added usage stamped inside it."""
    # Unpacking, not attribute access: this runs once per reading of the period.
    items = [(b, p, s) for b, p, stamp, s in increments if s > 0 and start <= stamp < end]
    items.sort()
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
