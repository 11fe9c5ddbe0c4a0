"""The usage increments a rule needs, read from the readings table, never held in memory.

An invoice sums the verified increments of a token stamped in its period.  They
are rows of the readings table, indexed by (token, stamp); the rows of the
submission being applied are not committed yet, so they are looked at beside
the stored ones.  ``before`` is the log index of the entry asking: a replay sees
the readings of later batches in the table too, and must not count them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from backend.storage import Storage
from chain_client.ledger.evidence import Increment


class Readings(Protocol):
    """Where a rule reads usage increments from."""

    def increments(self, token: str, start: int, end: int, before: int) -> list[Increment]:
        """Verified increments > 0 of ``token`` stamped in ``[start, end)``, of batches before ``before``."""
        ...


class StoredReadings:
    """The readings table, plus the rows of the submission being applied."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.pending: Sequence[Mapping[str, Any]] = ()

    def increments(self, token: str, start: int, end: int, before: int) -> list[Increment]:
        """Verified increments > 0 of ``token`` stamped in ``[start, end)``, of batches before ``before``."""
        found = self.storage.increments(token, start, end, before)
        found += [
            (r["batch"], r["position"], r["stamp"], r["increment"])
            for r in self.pending
            if r["token"] == token
            and r["increment"] > 0
            and start <= r["stamp"] < end
            and r["batch"] < before
        ]
        return found
