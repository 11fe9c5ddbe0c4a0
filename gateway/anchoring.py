"""Batching and anchoring: seal stored readings into batches and submit each one until it lands.

Sealing (by count or age, ``[batch]``) writes the batch id and Merkle root
into the store before anything is sent, so a batch is always retried with
the same id and bytes.  Submission takes the oldest pending batch, one at a
time in order; while the backend is down it waits with exponential backoff
and full jitter (a random delay up to ``initial * 2**attempt``, capped at
``backoff_max_seconds``) so that many gateways coming back do not stampede.
A batch the backend refuses for good (400, 409, 422: the batch itself is
wrong) is parked as ``failed`` for an operator, and the batches after it
still go through; a restart of the service queues parked batches again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor

from gateway.config import BackendSection, BatchSection
from gateway.errors import SubmitError
from gateway.metrics import Metrics
from gateway.store import Store
from gateway.submitter import Submitter

log = logging.getLogger(__name__)


def backoff_delay(attempt: int, initial: float, cap: float, rng: random.Random) -> float:
    """Full-jitter exponential backoff: uniform in ``[0, min(cap, initial * 2**attempt)]``."""
    return rng.uniform(0, min(cap, initial * 2 ** min(attempt, 32)))


class Anchorer:
    """The sealing and submitting loops."""

    def __init__(
        self,
        store: Store,
        store_executor: ThreadPoolExecutor,
        submit_executor: ThreadPoolExecutor,
        submitter: Submitter | None,
        metrics: Metrics,
        gateway_id: str,
        batch: BatchSection,
        backend: BackendSection,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.store_executor = store_executor
        self.submitter = submitter
        self.metrics = metrics
        self.gateway_id = gateway_id
        self.batch = batch
        self.backend = backend
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._sealed = asyncio.Event()
        self._batch_full = asyncio.Event()  # a full batch's worth stored since the last sealing pass
        self._stored_since = 0
        self._submit_pool = submit_executor

    async def _store(self, fn: object, *args: object) -> object:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.store_executor, fn, *args)  # type: ignore[arg-type]

    def _seal_one(self) -> bool:
        """Seal the next batch if one is full or old enough; return whether one was sealed."""
        batch = self.store.seal_batch(
            self.gateway_id, self.batch.max_readings, self.batch.max_age_seconds, time.time()
        )
        if batch is not None:
            log.info("sealed batch %s: %d readings, root %s", batch.id, batch.size, batch.root.hex())
        return batch is not None

    def stored(self, count: int) -> None:
        """Called by the pipeline after each commit with how many readings it stored."""
        self._stored_since += count
        if self._stored_since >= self.batch.max_readings:
            self._batch_full.set()

    async def seal_loop(self, stop: asyncio.Event) -> None:
        """Seal batches as they fill (woken by :meth:`stored`) or age, until ``stop``."""
        tick = min(1.0, self.batch.max_age_seconds / 4)
        pruned_at = 0.0
        while not stop.is_set():
            self._batch_full.clear()
            self._stored_since = 0
            # One batch per call of the store thread, so that the commits waiting for it run
            # between two batches instead of after all of them (publish-to-commit latency).
            while not stop.is_set() and await self._store(self._seal_one):
                self._sealed.set()
            if time.monotonic() - pruned_at >= tick:
                await self._store(self.store.prune, time.time())
                pruned_at = time.monotonic()
            await _wait_any(stop, self._batch_full, timeout=tick)

    async def submit_loop(self, stop: asyncio.Event) -> None:
        """Submit pending batches in order, until ``stop``."""
        if self.submitter is None:
            log.warning("no backend configured: batches are sealed and kept, not anchored")
            return
        attempt = 0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            batch = await loop.run_in_executor(self.store_executor, self.store.next_pending)
            if batch is None:
                self._sealed.clear()
                await _wait_any(stop, self._sealed, timeout=1.0)
                continue
            leaves = await loop.run_in_executor(self.store_executor, self.store.batch_leaves, batch.id)
            error: SubmitError | None = None
            receipt = ""
            try:
                receipt = await loop.run_in_executor(self._submit_pool, self.submitter.submit, batch, leaves)
            except SubmitError as exc:
                error = exc
            if error is not None:
                self.metrics.anchor_failures.labels(str(error.retry).lower()).inc()
                await loop.run_in_executor(
                    self.store_executor, self.store.mark_attempt, batch.id, str(error), not error.retry
                )
                if not error.retry:
                    log.error("batch %s parked as failed: %s", batch.id, error)
                    continue
                delay = backoff_delay(
                    attempt, self.backend.backoff_initial_seconds, self.backend.backoff_max_seconds, self.rng
                )
                attempt += 1
                log.warning("batch %s not anchored (%s); retry %d in %.1f s", batch.id, error, attempt, delay)
                await _wait_any(stop, timeout=delay)
                continue
            attempt = 0
            now = time.time()
            await loop.run_in_executor(self.store_executor, self.store.mark_anchored, batch.id, receipt, now)
            self.metrics.batches_anchored.inc()
            self.metrics.last_anchor.set(now)
            self.metrics.anchor_latency.observe(max(0.0, now - batch.created_at))
            log.info("anchored batch %s (%d readings)", batch.id, batch.size)


async def _wait_any(*events: asyncio.Event, timeout: float) -> None:
    """Wait until one of ``events`` is set or ``timeout`` passes."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
