"""Every thread of the gateway, started and ended by one owner.

The service makes one :class:`Threads` and hands each part the executor or the
``spawn`` it needs; no other module starts a thread of its own.  The kinds:

- ``store``: one thread owns the SQLite store.  The store is opened on it and
  SQLite refuses a call from any other thread, so the single-thread rule is
  enforced, not a convention;
- ``verify``: ``ingest.verify_threads`` threads check signatures (the batched
  check releases the GIL);
- ``submit``: one thread posts sealed batches to the ledger;
- ``io``: blocking work of the event loop (registry syncs, the broker's
  password and ACL files, waiting for the first subscription);
- daemon threads from :meth:`Threads.spawn`: the MQTT client's network loop,
  one reader per serial port, and the metrics endpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

# A registry sync and a write of the broker's files may overlap with the startup wait.
IO_THREADS = 4

Spawn = Callable[[Callable[[], object], str], threading.Thread]


def daemon(target: Callable[[], object], name: str) -> threading.Thread:
    """Start ``target`` in a daemon thread called ``name`` (what a part uses on its own, in tests)."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


class Threads:
    """The gateway's executors and daemon threads; :meth:`shutdown` ends the executors, the store's last."""

    def __init__(self, verify_threads: int) -> None:
        self.store = ThreadPoolExecutor(1, thread_name_prefix="store")
        self.verify = ThreadPoolExecutor(verify_threads, thread_name_prefix="verify")
        self.submit = ThreadPoolExecutor(1, thread_name_prefix="submit")
        self.io = ThreadPoolExecutor(IO_THREADS, thread_name_prefix="io")
        self.daemons: list[threading.Thread] = []

    def spawn(self, target: Callable[[], object], name: str) -> threading.Thread:
        """Start a daemon thread (a network loop, a serial reader, the metrics server) and keep it."""
        thread = daemon(target, name)
        self.daemons.append(thread)
        return thread

    def shutdown(self) -> None:
        """Wait for work in flight (a submission's answer, a sync), then close the store's thread."""
        for pool in (self.verify, self.submit, self.io):
            pool.shutdown(wait=True)
        self.store.shutdown(wait=True)
