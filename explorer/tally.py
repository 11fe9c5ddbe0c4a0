"""Totals that the API has no endpoint for (readings verified), counted as the log grows.

The explorer reads the log's raw entries once, in order, and asks for the result of each
``anchor_batch`` only; every home page advances the count by a bounded amount of work, so a
large log is counted over several visits rather than in one slow request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from chain_client.client import LedgerClient
from chain_client.ledger import decode, decode_entry

ENTRIES_PER_VISIT = 5000
BATCHES_PER_VISIT = 200
PAGE = 1000


@dataclass(frozen=True)
class Count:
    """Readings verified in the entries ``[0, counted)`` of a log of ``size`` entries."""

    verified: int
    counted: int
    size: int

    @property
    def complete(self) -> bool:
        """True when every entry of the log has been counted."""
        return self.counted >= self.size


class Tally:
    """A running count of verified readings over the log, advanced on demand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._verified = 0
        self._counted = 0

    def advance(self, client: LedgerClient, size: int) -> Count:
        """Count up to ``ENTRIES_PER_VISIT`` more entries (and ``BATCHES_PER_VISIT`` batches)."""
        with self._lock:
            end = min(size, self._counted + ENTRIES_PER_VISIT)
            batches = 0
            while self._counted < end and batches < BATCHES_PER_VISIT:
                for raw in client.entries(self._counted, min(end, self._counted + PAGE)):
                    if batches >= BATCHES_PER_VISIT:
                        break
                    tx = decode(decode_entry(bytes.fromhex(raw.entry)).tx, check_signature=False)
                    if tx.type == "anchor_batch":
                        batches += 1
                        self._verified += int(client.transaction(raw.index).result.get("verified", 0))
                    self._counted = raw.index + 1
            return Count(self._verified, self._counted, size)
