"""SIGTERM and SIGINT noted while a command works, and acted on between its steps.

A signal handler that raises can interrupt any line, including one that holds a
lock (the database pool's, the logging module's): the ``finally`` that then tries
to close the ledger waits on that lock forever, and the service never stops.  So
the handler only notes the signal, and the command checks at points where
stopping is clean: between the steps of a start, and between rounds of a loop.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from backend.errors import Stopped

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequests:
    """A context in which SIGTERM and SIGINT are noted instead of acted on at once."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._woken = threading.Event()
        self._previous: dict[int, Any] = {}
        self._listeners: list[Callable[[], None]] = []

    def __enter__(self) -> StopRequests:
        self._previous = {sig: signal.signal(sig, self._note) for sig in STOP_SIGNALS}
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        for sig, handler in self._previous.items():
            if handler is not None:
                signal.signal(sig, handler)

    def _note(self, signum: int, _frame: FrameType | None) -> None:
        self.signum = signum
        self._woken.set()
        for listener in self._listeners:
            listener()

    def on_stop(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (from the signal handler: it must only set a flag) on a stop signal.

        For a step that stops by its own flag, such as uvicorn's ``should_exit``: a signal
        that comes after the last :meth:`check` but before the step puts its own handlers in
        place is not lost.
        """
        self._listeners.append(listener)

    def check(self) -> None:
        """Raise :class:`Stopped` if a stop signal came since the context began."""
        if self.signum is not None:
            raise Stopped(self.signum)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less if a stop signal comes meanwhile; then :meth:`check`."""
        self._woken.wait(seconds)
        self.check()
