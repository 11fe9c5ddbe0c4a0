"""The ingest pipeline: verify a group of messages, commit it, then acknowledge it.

Two stages run concurrently so both cores stay busy: while one group is
committed to the store (one transaction, one fsync), the next is verified.
Verification runs in a small thread pool, a chunk of the group per thread;
each chunk's signatures are checked in one call that releases the GIL for
all of them (chain_client/signatures.py), so they overlap with decoding, with the
store and with the MQTT network thread.  The store has its own single
thread.  Acknowledgements go out only after the commit that holds their
messages has returned.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from gateway.inbox import Acknowledger, Delivery, Inbox
from gateway.metrics import Metrics
from gateway.quarantine import Summary
from gateway.store import Outcome, Received, Result, Store, StoreFull
from gateway.verifier import Rejected, Verdict, Verifier

log = logging.getLogger(__name__)

STORE_FULL_RETRY_SECONDS = 1.0


class Pipeline:
    """Moves messages from the inbox into the store."""

    def __init__(
        self,
        inbox: Inbox,
        verifier: Verifier,
        store: Store,
        store_executor: ThreadPoolExecutor,
        verify_executor: ThreadPoolExecutor,
        metrics: Metrics,
        *,
        max_batch: int = 500,
        verify_threads: int = 2,
        summary_seconds: float = 60.0,
    ) -> None:
        self.inbox = inbox
        self.verifier = verifier
        self.store = store
        self.store_executor = store_executor
        self.metrics = metrics
        self.max_batch = max_batch
        self.verify_threads = verify_threads
        self._verify_pool = verify_executor
        # Told how many readings each commit stored (the anchorer seals batches as they fill).
        self.on_stored: Callable[[int], None] | None = None
        self.quarantine_summary = Summary(summary_seconds)
        self._verified: asyncio.Queue[tuple[list[Delivery], list[Verdict]] | None] = asyncio.Queue(maxsize=2)

    def _verify(self, deliveries: Sequence[Delivery]) -> list[Verdict]:
        fresh = [d.received for d in deliveries if d.verdict is None]
        checked = iter(self.verifier.check_many([(r.raw, r.topic, r.received_at) for r in fresh]))
        return [d.verdict if d.verdict is not None else next(checked) for d in deliveries]

    async def _verify_group(self, group: list[Delivery]) -> list[Verdict]:
        loop = asyncio.get_running_loop()
        parts = min(self.verify_threads, max(1, len(group) // 32))
        size = -(-len(group) // parts)
        chunks = [group[i : i + size] for i in range(0, len(group), size)]
        results = await asyncio.gather(
            *(loop.run_in_executor(self._verify_pool, self._verify, c) for c in chunks)
        )
        return [verdict for chunk in results for verdict in chunk]

    async def verify_stage(self, stop: asyncio.Event) -> None:
        """Take groups from the inbox and verify them, until ``stop`` is set and the inbox is empty."""
        while True:
            if stop.is_set():
                group = self.inbox.take_nowait(self.max_batch)
                if not group:
                    break
            else:
                take = asyncio.ensure_future(self.inbox.take(self.max_batch))
                stopped = asyncio.ensure_future(stop.wait())
                await asyncio.wait({take, stopped}, return_when=asyncio.FIRST_COMPLETED)
                stopped.cancel()
                if not take.done():
                    take.cancel()
                    continue
                group = take.result()
            verdicts = await self._verify_group(group)
            await self._verified.put((group, verdicts))
        await self._verified.put(None)

    async def commit_stage(self) -> None:
        """Commit verified groups and acknowledge them, until the verify stage ends."""
        loop = asyncio.get_running_loop()
        while True:
            item = await self._verified.get()
            if item is None:
                return
            group, verdicts = item
            pairs = [(d.received, v) for d, v in zip(group, verdicts, strict=True)]
            started = time.perf_counter()
            while True:
                try:
                    results: list[Result] = await loop.run_in_executor(
                        self.store_executor, self.store.record, pairs
                    )
                    break
                except StoreFull as exc:
                    # Not acknowledging is the overflow policy: the broker keeps the messages.
                    self.metrics.store_full.set(1)
                    log.warning("%s; holding %d messages unacknowledged", exc, len(group))
                    await asyncio.sleep(STORE_FULL_RETRY_SECONDS)
            self.metrics.store_full.set(0)
            self.metrics.commit_seconds.observe(time.perf_counter() - started)
            tokens: dict[Acknowledger, list[object]] = {}
            for delivery in group:
                if delivery.acknowledger is not None:
                    tokens.setdefault(delivery.acknowledger, []).append(delivery.token)
            for acknowledger, committed in tokens.items():
                acknowledger.acknowledge(committed)
            self.metrics.count(results)
            self._summarise(pairs, results)
            if self.on_stored is not None:
                self.on_stored(sum(1 for r in results if r.outcome is Outcome.STORED))

    def _summarise(self, pairs: list[tuple[Received, Verdict]], results: list[Result]) -> None:
        for (_received, verdict), result in zip(pairs, results, strict=True):
            if result.outcome is Outcome.QUARANTINED:
                assert result.reason is not None
                # Not a Rejected: a replay or a broken chain, a verified message of a known device.
                device = verdict.device if isinstance(verdict, Rejected) else verdict.message.device_id
                self.quarantine_summary.add(result.reason.value, device)
        self.log_quarantine()

    def log_quarantine(self) -> None:
        """Log what was quarantined since the last summary, if one is due (also called by a timer)."""
        line = self.quarantine_summary.line(time.monotonic())
        if line is not None:
            log.warning("%s", line)

    async def run(self, stop: asyncio.Event) -> None:
        """Run both stages; return once ``stop`` is set and everything taken is committed."""
        await asyncio.gather(self.verify_stage(stop), self.commit_stage())
