"""Re-verification of device messages against the ledger's key bindings.

Each message is judged on its own from its exact bytes and the bindings as
they stood before the batch, so the verdicts do not depend on how the work is
split: big batches are cut in chunks verified on a thread pool (libsodium
releases the interpreter lock while it checks a signature).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from backend.state import Binding
from chain_client.errors import ProtocolError
from chain_client.message import Message, check_signature, decode
from chain_client.reasons import Reason

PARALLEL_THRESHOLD = 256


@dataclass(frozen=True)
class Verdict:
    """The judgement of one message: ``message`` and ``binding`` are set when it verified."""

    reason: str  # "" when verified
    message: Message | None = None
    binding: Binding | None = None


def judge(raw: bytes, bindings: Mapping[str, Binding]) -> Verdict:
    """Decode one message and check it against the key bound to its device id."""
    try:
        message = decode(raw)
    except ProtocolError as exc:
        return Verdict(exc.reason.value)
    binding = bindings.get(message.device_id.hex())
    if binding is None:
        return Verdict(Reason.UNKNOWN_DEVICE.value, message)
    if binding.status == "revoked":
        return Verdict(Reason.REVOKED_DEVICE.value, message)
    if binding.status == "rotated":
        body = message.body
        # A rotated key still vouches for what it signed before the rotation,
        # but only a synchronised clock can prove "before".
        if not (body.time_synced and body.time < binding.ended_at):
            return Verdict(Reason.REVOKED_DEVICE.value, message)
    try:
        check_signature(message, binding.public_key)
    except ProtocolError as exc:
        return Verdict(exc.reason.value, message)
    return Verdict("", message, binding)


def _judge_chunk(chunk: Sequence[bytes], bindings: Mapping[str, Binding]) -> list[Verdict]:
    return [judge(raw, bindings) for raw in chunk]


def judge_all(
    messages: Sequence[bytes], bindings: Mapping[str, Binding], executor: Executor | None, workers: int
) -> list[Verdict]:
    """Verdicts for ``messages`` in order, using ``executor`` for big batches."""
    if executor is None or workers < 2 or len(messages) < PARALLEL_THRESHOLD:
        return _judge_chunk(messages, bindings)
    size = -(-len(messages) // (workers * 4))
    chunks = [messages[i : i + size] for i in range(0, len(messages), size)]
    verdicts: list[Verdict] = []
    for part in executor.map(_judge_chunk, chunks, [bindings] * len(chunks)):
        verdicts.extend(part)
    return verdicts
