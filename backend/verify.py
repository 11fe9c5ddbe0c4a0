"""Re-verification of device messages against the ledger's key bindings, in worker processes.

Each message is judged on its own (the rule is :mod:`chain_client.ledger.verdict`,
shared with the auditor and the credit replay), from its exact bytes and the
keys as they stood before its batch, so the verdicts do not depend on how the
work is split.  Big batches are cut into chunks judged in worker processes (decoding
is Python work, so threads would only queue on the interpreter lock); the
caller keeps working on the batch meanwhile and collects the verdicts in
order.

A batch can also be judged ahead of its turn (:meth:`Verifier.prepare`), under
the key map of the last batch judged, while the ledger is still writing the
batches before it: the verdicts so prepared are used only if, at the batch's
turn, its messages and the key map are equal to those they were judged with
(the verdict is a function of these two alone); otherwise the batch is judged
again.  Bindings change seldom and an anchored batch changes none, so with
several gateways submitting, the verification of one batch mostly overlaps
the database write of the one before.
"""

from __future__ import annotations

import multiprocessing
import pickle
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from chain_client.errors import ProtocolError
from chain_client.ledger.verdict import Key, Verdict, judge_many, judge_message, read
from chain_client.payload import Reading

PARALLEL_THRESHOLD = 512
CHUNKS_PER_WORKER = 4
MAX_PREPARED = 4  # batches judged ahead of their turn; the oldest is dropped beyond that

FIELDS = ("kind", "boot", "seq", "device_time", "synced", "run_seconds")


def message_fields(raw: bytes) -> dict[str, Any]:
    """The fields a stored reading row shows from its message (:data:`FIELDS`), empty if it does not
    decode, as its verdict's were; and ``values``, a reading's values by channel (else empty)."""
    # Decoded once for both (a page of telemetry serves up to 10,000 rows). With no keys the
    # verdict checks no signature: it only names the fields.
    message = read(raw)
    if isinstance(message, ProtocolError):
        return {**dict(zip(FIELDS, Verdict(message.reason.value)[2:], strict=True)), "values": {}}
    body = message.body
    values = {str(k): v for k, v in sorted(body.readings.items())} if isinstance(body, Reading) else {}
    return {**dict(zip(FIELDS, judge_message(message, {})[2:], strict=True)), "values": values}


_worker_keys: tuple[bytes, Mapping[str, Key]] = (b"", {})  # a worker's last key map, as sent and read


def _judge_pickled(chunk: Sequence[bytes], pickled: bytes) -> list[tuple[Any, ...]]:
    # The key map comes pickled once per change (not once per chunk), and a worker reads it again
    # only when it changed: bindings change seldom, batches come all the time.
    global _worker_keys
    if _worker_keys[0] != pickled:
        _worker_keys = (pickled, pickle.loads(pickled))  # noqa: S301 - pickled by this backend
    # Sent back as plain tuples: a named tuple pickles and unpickles several times slower.
    return [tuple(v) for v in judge_many(chunk, _worker_keys[1])]


@dataclass(frozen=True)
class _KeyMap:
    """A key map as a batch was judged under it, and its pickle as the workers receive it."""

    keys: Mapping[str, Key]
    pickled: bytes


@dataclass(frozen=True)
class _Job:
    """A batch handed to the workers: its messages, the key map, one future per chunk."""

    messages: tuple[bytes, ...]
    keys: _KeyMap
    futures: list[Future[list[tuple[Any, ...]]]]

    def verdicts(self) -> Iterator[Verdict]:
        """The verdicts in order, as the chunks come back."""
        for future in self.futures:
            yield from map(Verdict._make, future.result())

    def cancel(self) -> None:
        """Drop the chunks no worker has started yet."""
        for future in self.futures:
            future.cancel()


class Verifier:
    """Judges batches, in ``workers`` processes when a batch is big enough to be worth it."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._keys: _KeyMap | None = None  # the key map of the last batch judged
        self._prepared: OrderedDict[tuple[bytes, ...], _Job] = OrderedDict()
        # prepare() is called by request handlers while the writer thread calls start().
        self._lock = threading.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["backend.verify"])
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._pool

    def _parallel(self, messages: Sequence[bytes]) -> bool:
        return self.workers >= 2 and len(messages) >= PARALLEL_THRESHOLD

    def _key_map(self, keys: Mapping[str, Key]) -> _KeyMap:
        # Pickled once per change of the bindings, not once per batch.
        last = self._keys
        if last is not None and last.keys == keys:
            return last
        frozen = dict(keys)
        return _KeyMap(frozen, pickle.dumps(frozen, protocol=pickle.HIGHEST_PROTOCOL))

    def _submit(self, messages: tuple[bytes, ...], keys: _KeyMap) -> _Job:
        pool = self._executor()
        # Several chunks per worker, so the caller can use the first verdicts
        # while the workers are still on the last ones.
        size = -(-len(messages) // (self.workers * CHUNKS_PER_WORKER))
        futures = [
            pool.submit(_judge_pickled, messages[i : i + size], keys.pickled)
            for i in range(0, len(messages), size)
        ]
        return _Job(messages, keys, futures)

    def prepare(self, messages: Sequence[bytes]) -> None:
        """Begin judging ``messages`` ahead of their turn, under the key map of the last batch judged.

        Does nothing for a batch judged in process, or before any batch was judged.
        """
        with self._lock:
            batch = tuple(messages)
            if self._keys is None or not self._parallel(batch) or batch in self._prepared:
                return
            self._prepared[batch] = self._submit(batch, self._keys)
            while len(self._prepared) > MAX_PREPARED:
                self._prepared.popitem(last=False)[1].cancel()

    @property
    def judged_ahead(self) -> int:
        """How many batches are held judged (or being judged) ahead of their turn."""
        return len(self._prepared)

    def start(self, messages: Sequence[bytes], keys: Mapping[str, Key]) -> Iterator[Verdict]:
        """Begin judging ``messages``; iterating the result yields the verdicts in order as they come."""
        if not self._parallel(messages):
            return iter(judge_many(messages, keys))
        with self._lock:
            batch = tuple(messages)
            key_map = self._key_map(keys)
            self._keys = key_map
            job = self._prepared.pop(batch, None)
            if job is not None and job.keys.keys != key_map.keys:
                # A binding changed since the batch was prepared: its verdicts may differ.
                job.cancel()
                job = None
            if job is None:
                job = self._submit(batch, key_map)
        return job.verdicts()

    def close(self) -> None:
        """Stop the worker processes."""
        with self._lock:
            self._prepared.clear()
            self._keys = None  # nothing is judged ahead after this (it would start the workers again)
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None
