"""The gateway's durable store (see :mod:`gateway.store.core`); the names other modules use."""

from gateway.store.batching import batch_id
from gateway.store.core import Store
from gateway.store.records import Batch, Outcome, QuarantineRow, Received, Result, Stats, StoreFull
from gateway.store.schema import SCHEMA_VERSION, open_readonly, read_stats

__all__ = [
    "SCHEMA_VERSION",
    "Batch",
    "Outcome",
    "QuarantineRow",
    "Received",
    "Result",
    "Stats",
    "Store",
    "StoreFull",
    "batch_id",
    "open_readonly",
    "read_stats",
]
