"""Re-verification of device messages against the ledger's key bindings, in worker processes.

Each message is judged on its own (the rule is :mod:`chain_client.ledger.verdict`,
shared with the auditor and the credit replay), from its exact bytes and the
keys as they stood before its batch, so the verdicts do not depend on how the
work is split.  Big batches are cut into chunks judged in worker processes (decoding
is Python work, so threads would only queue on the interpreter lock); the
caller keeps working on the batch meanwhile and collects the verdicts in
order.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from chain_client.errors import ProtocolError
from chain_client.ledger.verdict import Key, Verdict, judge_many, judge_message, read
from chain_client.payload import Reading

PARALLEL_THRESHOLD = 512
CHUNKS_PER_WORKER = 4

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


def _judge_pickled(chunk: Sequence[bytes], pickled: bytes) -> list[Verdict]:
    # The key map comes pickled once per batch (not once per chunk), and a worker reads it again
    # only when it changed: bindings change seldom, batches come all the time.
    global _worker_keys
    if _worker_keys[0] != pickled:
        _worker_keys = (pickled, pickle.loads(pickled))  # noqa: S301 - pickled by this backend
    return judge_many(chunk, _worker_keys[1])


class Verifier:
    """Judges batches, in ``workers`` processes when a batch is big enough to be worth it."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["backend.verify"])
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self._pool

    def start(self, messages: Sequence[bytes], keys: Mapping[str, Key]) -> Iterator[Verdict]:
        """Begin judging ``messages``; iterating the result yields the verdicts in order as they come."""
        if self.workers < 2 or len(messages) < PARALLEL_THRESHOLD:
            return iter(judge_many(messages, keys))
        pool = self._executor()
        # Several chunks per worker, so the caller can use the first verdicts
        # while the workers are still on the last ones.
        size = -(-len(messages) // (self.workers * CHUNKS_PER_WORKER))
        pickled = pickle.dumps(dict(keys), protocol=pickle.HIGHEST_PROTOCOL)
        futures: list[Future[list[Verdict]]] = [
            pool.submit(_judge_pickled, messages[i : i + size], pickled)
            for i in range(0, len(messages), size)
        ]

        def collect() -> Iterator[Verdict]:
            for future in futures:
                yield from future.result()

        return collect()

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
