"""Re-verification of device messages against the ledger's key bindings.

Each message is judged on its own, from its exact bytes and the keys as they
stood before its batch, so the verdicts do not depend on how the work is
split.  Big batches are cut into chunks judged in worker processes (decoding
is Python work, so threads would only queue on the interpreter lock); the
caller keeps working on the batch meanwhile and collects the verdicts in
order.
"""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, NamedTuple

from chain_client.errors import ProtocolError
from chain_client.message import Message, check_signature, decode
from chain_client.payload import Reading
from chain_client.reasons import Reason

PARALLEL_THRESHOLD = 512
CHUNKS_PER_WORKER = 4


class Key(NamedTuple):
    """What verification needs of a binding."""

    public_key: bytes
    status: str  # active | rotated | revoked
    ended_at: int


class Verdict(NamedTuple):
    """The judgement of one message; ``reason`` is empty when it verified."""

    reason: str
    device: str = ""
    kind: str = ""
    boot: int = 0
    seq: int = 0
    time: int = 0
    synced: bool = False
    run_seconds: int = 0


FIELDS = ("kind", "boot", "seq", "device_time", "synced", "run_seconds")


def _fields(message: Message) -> tuple[str, int, int, int, bool, int]:
    body = message.body
    if isinstance(body, Reading):
        return ("reading", body.boot, body.seq, body.time, body.time_synced, body.run_seconds)
    return ("birth", body.boot, 0, body.time, body.time_synced, 0)


def message_fields(raw: bytes) -> dict[str, Any]:
    """The fields a stored reading row shows from its message (:data:`FIELDS`); empty if it does not
    decode, as its verdict's were."""
    try:
        values: tuple[Any, ...] = _fields(decode(raw))
    except ProtocolError:
        values = ("", 0, 0, 0, False, 0)
    return dict(zip(FIELDS, values, strict=True))


def judge(raw: bytes, keys: Mapping[str, Key]) -> Verdict:
    """Decode one message and check it against the key bound to its device id."""
    try:
        message = decode(raw)
    except ProtocolError as exc:
        return Verdict(exc.reason.value)
    body = message.body
    device = message.device_id.hex()
    fields = _fields(message)
    key = keys.get(device)
    if key is None:
        return Verdict(Reason.UNKNOWN_DEVICE.value, device, *fields)
    if key.status == "revoked":
        return Verdict(Reason.REVOKED_DEVICE.value, device, *fields)
    # A rotated key still vouches for what it signed before the rotation,
    # but only a synchronised clock can prove "before".
    if key.status == "rotated" and not (body.time_synced and body.time < key.ended_at):
        return Verdict(Reason.REVOKED_DEVICE.value, device, *fields)
    try:
        check_signature(message, key.public_key)
    except ProtocolError as exc:
        return Verdict(exc.reason.value, device, *fields)
    return Verdict("", device, *fields)


def judge_chunk(chunk: Sequence[bytes], keys: Mapping[str, Key]) -> list[Verdict]:
    """Verdicts of a run of messages."""
    return [judge(raw, keys) for raw in chunk]


_worker_keys: tuple[bytes, Mapping[str, Key]] = (b"", {})  # a worker's last key map, as sent and read


def _judge_pickled(chunk: Sequence[bytes], pickled: bytes) -> list[Verdict]:
    # The key map comes pickled once per batch (not once per chunk), and a worker reads it again
    # only when it changed: bindings change seldom, batches come all the time.
    global _worker_keys
    if _worker_keys[0] != pickled:
        _worker_keys = (pickled, pickle.loads(pickled))  # noqa: S301 - pickled by this backend
    return judge_chunk(chunk, _worker_keys[1])


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
            return iter(judge_chunk(messages, keys))
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
