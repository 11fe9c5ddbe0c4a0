"""Group commit for the HTTP API: concurrent submissions share one database transaction.

Requests queue their signed bytes; one writer task takes everything queued,
submits it as one :meth:`Ledger.submit_many` call in a worker thread (so the
event loop keeps reading requests meanwhile) and answers each request with
its own outcome.  An anchored batch's messages start being verified as it is
queued (:meth:`Ledger.prepare`), so with several gateways submitting, one
batch is verified while the batches before it are written.  The writer holds
:attr:`lock` while the state changes; readers of the state take the same lock,
so they never see half a batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from backend.ledger import Ledger, Submission
from chain_client.ledger.errors import TransactionError

MAX_GROUP = 1024
Outcome = dict[str, Any] | TransactionError


class Submitter:
    """The single writer of a ledger inside an event loop."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.lock = asyncio.Lock()
        self._queue: asyncio.Queue[tuple[list[Submission], asyncio.Future[list[Outcome]]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the writer task on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the writer task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def submit(self, raws: list[Submission]) -> list[Outcome]:
        """Queue ``raws`` and wait for their outcomes, in order."""
        future: asyncio.Future[list[Outcome]] = asyncio.get_running_loop().create_future()
        for item in raws:
            self.ledger.prepare(item)
        await self._queue.put((raws, future))
        return await future

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            total = len(group[0][0])
            while total < MAX_GROUP and not self._queue.empty():
                item = self._queue.get_nowait()
                group.append(item)
                total += len(item[0])
            raws = [raw for item_raws, _ in group for raw in item_raws]
            try:
                async with self.lock:
                    outcomes = await asyncio.to_thread(self.ledger.submit_many, raws)
            except Exception as exc:  # noqa: BLE001 - every waiting request must hear of the failure
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                continue
            position = 0
            for item_raws, future in group:
                if not future.done():
                    future.set_result(outcomes[position : position + len(item_raws)])
                position += len(item_raws)
