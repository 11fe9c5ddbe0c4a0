"""One owner for the gateway's threads, and the store's single-thread rule enforced."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gateway.store import Store
from gateway.threads import Threads


def test_the_store_refuses_a_call_from_a_thread_other_than_its_own(tmp_path: Path) -> None:
    threads = Threads(verify_threads=2)
    try:
        store = threads.store.submit(Store, tmp_path / "s.sqlite3").result()
        assert threads.store.submit(lambda: store.stats().readings).result() == 0
        with ThreadPoolExecutor(1) as other, pytest.raises(sqlite3.ProgrammingError, match="thread"):
            other.submit(store.stats).result()
        with pytest.raises(sqlite3.ProgrammingError, match="thread"):
            store.stats()  # nor from the thread that made the executor
        threads.store.submit(store.close).result()
    finally:
        threads.shutdown()


def test_every_thread_is_named_by_its_owner_and_ended_by_it() -> None:
    threads = Threads(verify_threads=3)
    release = threading.Event()
    spawned = threads.spawn(release.wait, "serial:/dev/ttyUSB0")
    names = {
        threads.store.submit(lambda: threading.current_thread().name).result().split("_")[0],
        threads.submit.submit(lambda: threading.current_thread().name).result().split("_")[0],
        threads.io.submit(lambda: threading.current_thread().name).result().split("_")[0],
        threads.verify.submit(lambda: threading.current_thread().name).result().split("_")[0],
    }
    assert names == {"store", "submit", "io", "verify"}
    assert spawned.daemon
    assert threads.daemons == [spawned]
    threads.shutdown()
    with pytest.raises(RuntimeError, match="shutdown"):
        threads.store.submit(int)
    release.set()
    spawned.join(5)
    assert not spawned.is_alive()
