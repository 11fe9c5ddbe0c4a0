"""The hand-off from input threads (MQTT network loop, serial readers) to the asyncio service.

Producers append from any thread; the consumer takes groups of messages in
the event loop.  At most one wake-up is scheduled per consumer cycle, so a
burst of messages costs one ``call_soon_threadsafe``, not one per message.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from gateway.store import Received
from gateway.verifier import Rejected


class Acknowledger(Protocol):
    """An input whose messages are acknowledged to their sender once committed."""

    def acknowledge(self, tokens: Sequence[object]) -> None:
        """Acknowledge the committed messages these tokens stand for, all at once, in order."""


class Delivery(NamedTuple):
    """One received message and how to acknowledge it once it is stored (a tuple: built per message).

    ``acknowledger`` (with ``token`` naming the message to it) is told after
    the commit; the messages of one commit go to it in one call, so an input
    can send their acknowledgements in one write.  ``verdict`` is set when the
    input layer already rejected the message (a bad serial frame), so it goes
    straight to quarantine.
    """

    received: Received
    acknowledger: Acknowledger | None = None
    token: object = None
    verdict: Rejected | None = None


class Inbox:
    """A thread-safe queue with an asyncio consumer."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._items: deque[Delivery] = deque()
        self._event = asyncio.Event()
        self._wake_pending = False

    def __len__(self) -> int:
        return len(self._items)

    def put(self, delivery: Delivery) -> None:
        """Append from any thread."""
        self._items.append(delivery)
        self._wake_soon()

    def put_many(self, deliveries: list[Delivery]) -> None:
        """Append several messages, in order, from any thread."""
        self._items.extend(deliveries)
        self._wake_soon()

    def _wake_soon(self) -> None:
        # The flag is read after the append: either a wake-up still to run will
        # see this item, or this call schedules a new one.
        if not self._wake_pending:
            self._wake_pending = True
            # A closed loop means the service is gone; the sender will redeliver.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        self._wake_pending = False
        self._event.set()

    async def take(self, limit: int) -> list[Delivery]:
        """Wait for at least one message; return up to ``limit`` in arrival order."""
        while not self._items:
            self._event.clear()
            if self._items:
                break
            await self._event.wait()
        out: list[Delivery] = []
        items = self._items
        while items and len(out) < limit:
            out.append(items.popleft())
        return out

    def take_nowait(self, limit: int) -> list[Delivery]:
        """Up to ``limit`` messages without waiting (possibly none)."""
        out: list[Delivery] = []
        while self._items and len(out) < limit:
            out.append(self._items.popleft())
        return out
