"""Prometheus metrics of the gateway, on their own registry.

Counters count what this process saw since it started (as Prometheus
expects); the store's counters table keeps the lifetime totals that
``leasechain-gateway status`` shows.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from chain_client.reasons import Reason
from gateway.store import Outcome, Result, Stats

NAMESPACE = "leasechain_gateway"
# Reasons that accept a message with a remark (counted in noted_total, never in rejected_total).
NOTED = frozenset({Reason.SEQUENCE_GAP})


def _package_version() -> str:
    try:
        return version("leasechain")
    except PackageNotFoundError:
        return "unknown"


class Metrics:
    """Every metric the gateway exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.received = Counter(
            "received", "Messages received, by source kind", ["source"], namespace=NAMESPACE, registry=r
        )
        self.verified = Counter("verified", "Messages verified and stored", namespace=NAMESPACE, registry=r)
        self.duplicates = Counter(
            "duplicates",
            "Identical copies of stored messages, acknowledged and dropped",
            namespace=NAMESPACE,
            registry=r,
        )
        self.rejected = Counter(
            "rejected",
            "Messages not stored, by reason: quarantined, or an identical copy dropped (duplicate)",
            ["reason"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.noted = Counter(
            "noted",
            "Accepted messages with a remark (sequence_gap), by reason",
            ["reason"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.frame_errors = Counter(
            "serial_frame_errors",
            "Serial frames that failed to decode, by reason",
            ["reason"],
            namespace=NAMESPACE,
            registry=r,
        )
        self.queue_depth = Gauge(
            "queue_depth", "Stored readings not yet anchored", namespace=NAMESPACE, registry=r
        )
        self.pending_batches = Gauge(
            "pending_batches", "Sealed batches waiting to be anchored", namespace=NAMESPACE, registry=r
        )
        self.store_bytes = Gauge("store_bytes", "Bytes used by the store", namespace=NAMESPACE, registry=r)
        self.quarantine_rows = Gauge(
            "quarantine_rows", "Rows in the quarantine table", namespace=NAMESPACE, registry=r
        )
        self.quarantine_evicted = Counter(
            "quarantine_evicted",
            "Oldest quarantine rows deleted to keep within quarantine_max_rows or the store within max_bytes",
            namespace=NAMESPACE,
            registry=r,
        )
        # The store's lifetime eviction count at the last refresh; the counter adds the difference.
        self._evicted_seen: int | None = None
        self.registry_devices = Gauge(
            "registry_devices", "Device keys in the registry", namespace=NAMESPACE, registry=r
        )
        self.registry_synced = Gauge(
            "registry_synced_timestamp_seconds",
            "When the registry was last synced from the ledger (Unix seconds; 0: not since start)",
            namespace=NAMESPACE,
            registry=r,
        )
        self.store_full = Gauge(
            "store_full",
            "1 while the store is full and messages are left unacknowledged",
            namespace=NAMESPACE,
            registry=r,
        )
        self.mqtt_connected = Gauge(
            "mqtt_connected", "1 while connected to the broker", namespace=NAMESPACE, registry=r
        )
        self.batches_anchored = Counter(
            "batches_anchored", "Batches accepted by the backend", namespace=NAMESPACE, registry=r
        )
        self.anchor_failures = Counter(
            "anchor_failures", "Failed batch submissions", ["retry"], namespace=NAMESPACE, registry=r
        )
        self.anchor_latency = Histogram(
            "anchor_latency_seconds",
            "From sealing a batch to the backend accepting it",
            namespace=NAMESPACE,
            registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
        )
        self.commit_seconds = Histogram(
            "commit_seconds",
            "Time to verify-and-commit one group of messages",
            namespace=NAMESPACE,
            registry=r,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
        )
        self.build = Info("build", "Gateway build", namespace=NAMESPACE, registry=r)
        self.build.info({"version": _package_version()})
        self.last_anchor = Gauge(
            "last_anchor_timestamp_seconds",
            "When the ledger last accepted a batch of this gateway (Unix seconds; 0: never)",
            namespace=NAMESPACE,
            registry=r,
        )
        # Every series that can move exists from the start (a rate() over a missing series is
        # empty, not 0), and none that cannot: a noted reason is accepted, never rejected.
        for reason in Reason:
            if reason in NOTED:
                self.noted.labels(reason.value)
            else:
                self.rejected.labels(reason.value)

    def count(self, results: list[Result]) -> None:
        """Count the outcomes of one committed group."""
        for result in results:
            if result.outcome is Outcome.STORED:
                self.verified.inc()
                if result.reason is not None:
                    self.noted.labels(result.reason.value).inc()
            elif result.outcome is Outcome.DUPLICATE:
                # Dropped, not stored: a rejection too, so received = verified + rejected.
                self.duplicates.inc()
                self.rejected.labels(Reason.DUPLICATE.value).inc()
            else:
                assert result.reason is not None
                self.rejected.labels(result.reason.value).inc()

    def update(self, stats: Stats, registry_size: int) -> None:
        """Refresh the gauges from the store."""
        self.queue_depth.set(stats.unbatched + stats.pending_readings)
        self.pending_batches.set(stats.pending_batches)
        self.store_bytes.set(stats.used_bytes)
        self.registry_devices.set(registry_size)
        self.quarantine_rows.set(stats.quarantined)
        if stats.last_anchor_at is not None:
            self.last_anchor.set(stats.last_anchor_at)
        evicted = stats.counters.get("quarantine_evicted", 0)
        if self._evicted_seen is not None and evicted > self._evicted_seen:
            self.quarantine_evicted.inc(evicted - self._evicted_seen)
        self._evicted_seen = evicted
