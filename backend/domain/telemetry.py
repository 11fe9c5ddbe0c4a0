"""Telemetry anchoring: a gateway's batch of signed device messages."""

from __future__ import annotations

import json
from typing import Any

from backend.domain.context import Context, certified, refuse
from backend.state import Meter
from backend.verify import judge_all
from chain_client import merkle
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import Role
from chain_client.ledger.usage import Counter, increment, is_after, stamp
from chain_client.payload import Reading

VERIFY_WORKERS = 2


def _dedupe_key(device: bytes, kind: bytes, boot: int, seq: int) -> bytes:
    return device + kind + boot.to_bytes(4, "big") + seq.to_bytes(4, "big")


def anchor_batch(ctx: Context) -> dict[str, Any]:
    """Check a batch's count and root, judge every message, keep the readings and feed the meters."""
    certified(ctx, ctx.signer, (Role.SERVICE,))
    messages: list[bytes] = ctx.args["messages"]
    count, root = ctx.args["count"], ctx.args["root"]
    if count != len(messages):
        raise refuse(TxReason.BATCH_COUNT_MISMATCH, f"batch says {count} messages but holds {len(messages)}")
    leaves = [merkle.leaf_hash(m) for m in messages]
    if len(set(leaves)) != len(leaves):
        seen: set[bytes] = set()
        for position, leaf in enumerate(leaves):
            if leaf in seen:
                raise refuse(
                    TxReason.BATCH_DUPLICATE_MESSAGE,
                    f"message {position} repeats an earlier message of the batch",
                )
            seen.add(leaf)
    actual = merkle.root_from_leaf_hashes(leaves)
    if actual != root:
        raise refuse(
            TxReason.BATCH_ROOT_MISMATCH, f"batch root is {root.hex()}, the messages give {actual.hex()}"
        )
    state = ctx.state
    verdicts = judge_all(messages, state.bindings, ctx.executor, VERIFY_WORKERS)
    verified = duplicates = 0
    rejected: list[dict[str, Any]] = []
    rows = ctx.reading_rows
    for position, (raw, verdict) in enumerate(zip(messages, verdicts, strict=True)):
        message = verdict.message
        row: dict[str, Any] = {
            "batch": ctx.index,
            "position": position,
            "device": "",
            "token": "",
            "kind": "",
            "boot": 0,
            "seq": 0,
            "device_time": 0,
            "synced": False,
            "stamp": ctx.time,
            "status": "rejected",
            "reason": verdict.reason,
            "increment": 0,
            "run_seconds": 0,
            "values": "{}",
            "message": raw,
        }
        rows.append(row)
        if message is None:
            rejected.append({"position": position, "reason": verdict.reason})
            continue
        body = message.body
        is_reading = isinstance(body, Reading)
        seq = body.seq if isinstance(body, Reading) else 0
        row.update(
            device=message.device_id.hex(),
            kind="reading" if is_reading else "birth",
            boot=body.boot,
            seq=seq,
            device_time=body.time,
            synced=body.time_synced,
            stamp=stamp(body.time, body.time_synced, ctx.time),
        )
        if isinstance(body, Reading):
            row.update(
                run_seconds=body.run_seconds,
                values=json.dumps({str(k): v for k, v in sorted(body.readings.items())}),
            )
        if verdict.binding is None:
            row["token"] = state.bindings[row["device"]].token if row["device"] in state.bindings else ""
            rejected.append({"position": position, "reason": verdict.reason})
            continue
        row["token"] = verdict.binding.token
        key = _dedupe_key(message.device_id, b"R" if is_reading else b"B", body.boot, seq)
        if key in state.seen_readings:
            row["status"] = "duplicate"
            duplicates += 1
            continue
        state.seen_readings.add(key)
        row["status"] = "verified"
        verified += 1
        if isinstance(body, Reading):
            last = state.counters.get(row["device"])
            if is_after(last, body.boot, body.seq):
                current = Counter(body.boot, body.seq, body.run_seconds)
                added = increment(last, current)
                state.counters[row["device"]] = current
                if added:
                    row["increment"] = added
                    state.meters.setdefault(row["token"], Meter()).add(row["stamp"], added)
    state.readings_verified += verified
    state.readings_rejected += len(rejected)
    ctx.batch_row = {
        "idx": ctx.index,
        "batch_id": ctx.tx.id,
        "gateway": ctx.signer,
        "root": root,
        "count": count,
        "leaf_hashes": b"".join(leaves),
    }
    return {
        "batch": ctx.index,
        "batch_id": ctx.tx.id,
        "count": count,
        "verified": verified,
        "duplicates": duplicates,
        "rejected": rejected,
    }
