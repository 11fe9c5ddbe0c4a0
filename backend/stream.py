"""Server-Sent Events of newly verified readings (``GET /v1/stream/readings``, docs/ledger.md).

The writer thread hands each group of stored readings to :meth:`Stream.publish`, which queues one
event per reading for every subscriber on the event loop; a slow reader loses its oldest events,
never the server's memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from chain_client.client.models import TelemetryReading

STREAM_QUEUE = 10_000
KEEP_ALIVE = 15  # seconds without an event before a comment line keeps the connection open


class Stream:
    """The subscribers of the reading stream."""

    def __init__(self) -> None:
        self.subscribers: set[asyncio.Queue[str]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver events on ``loop`` (the server's) from now on."""
        self._loop = loop

    def publish(self, readings: list[TelemetryReading]) -> None:
        """Queue one ``reading`` event per reading for every subscriber (called from any thread)."""
        if self._loop is None:
            return
        events = [f"event: reading\ndata: {r.model_dump_json()}\n\n" for r in readings]

        def deliver() -> None:
            for queue in list(self.subscribers):
                for event in events:
                    if queue.full():
                        queue.get_nowait()  # a slow reader loses the oldest events, not the server
                    queue.put_nowait(event)

        self._loop.call_soon_threadsafe(deliver)

    def events(self, disconnected: Callable[[], Awaitable[bool]]) -> AsyncIterator[str]:
        """A new subscriber's events until ``disconnected()`` (awaitable) says the client left."""
        queue: asyncio.Queue[str] = asyncio.Queue(STREAM_QUEUE)
        self.subscribers.add(queue)
        return self._follow(queue, disconnected)

    async def _follow(
        self, queue: asyncio.Queue[str], disconnected: Callable[[], Awaitable[bool]]
    ) -> AsyncIterator[str]:
        try:
            yield ": connected\n\n"
            while not await disconnected():
                try:
                    yield await asyncio.wait_for(queue.get(), timeout=KEEP_ALIVE)
                except TimeoutError:
                    yield ": keep-alive\n\n"
        finally:
            self.subscribers.discard(queue)
