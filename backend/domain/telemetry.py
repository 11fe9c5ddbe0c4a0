"""Telemetry anchoring: a gateway's batch of signed device messages."""

from __future__ import annotations

from typing import Any

from backend.domain.context import Context, certified, refuse
from backend.state import State
from backend.tracked import read, read_items
from chain_client import merkle
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import Role, TxType
from chain_client.ledger.transaction import Transaction
from chain_client.ledger.usage import Counter, increment, is_after, stamp
from chain_client.ledger.verdict import Key, judge_many


def reaches_judging(state: State, tx: Transaction, count: int) -> bool:
    """Whether ``tx``, with ``count`` messages beside it, passes the checks :func:`anchor_batch`
    makes before it judges any message: an ``anchor_batch`` for this ledger, signed by a certified
    service, whose count is its messages'.  Reads ``state`` only (no record counts as reached).

    The ledger judges a batch ahead of its turn only if so: a request anyone can send must not make
    the workers verify a thousand signatures that its turn would refuse before looking at one.
    """
    signer = read(state.enterprises, tx.signer)
    return (
        tx.type == TxType.ANCHOR_BATCH
        and tx.ledger.hex() == state.operator
        and signer is not None
        and signer.status == "approved"
        and Role.SERVICE.value in signer.roles
        and tx.args.get("count") == count
    )


def anchor_batch(ctx: Context) -> dict[str, Any]:
    """Check a batch's count and root, judge every message, keep the readings and feed the meters."""
    certified(ctx, ctx.signer, (Role.SERVICE,))
    messages = ctx.messages
    if messages is None:
        raise refuse(
            TxReason.BATCH_MESSAGES_MISSING,
            f"anchor_batch {ctx.tx.id!r} came without its messages: they travel beside it (POST /v1/batches)",
        )
    count, root = ctx.args["count"], ctx.args["root"]
    if count != len(messages):
        raise refuse(TxReason.BATCH_COUNT_MISMATCH, f"batch says {count} messages but holds {len(messages)}")
    # Read only: the key map reaches no binding for the state digest (backend.tracked).
    keys = {d: Key(b.public_key, b.status, b.ended_at) for d, b in read_items(ctx.state.bindings)}
    verdicts = (
        ctx.verifier.start(messages, keys) if ctx.verifier is not None else iter(judge_many(messages, keys))
    )
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
    verified = duplicates = 0
    rejected: list[dict[str, Any]] = []
    rows = ctx.reading_rows
    for position, (raw, v) in enumerate(zip(messages, verdicts, strict=True)):
        binding = read(state.bindings, v.device) if v.device else None  # only its token is read
        row: dict[str, Any] = {
            "batch": ctx.index,
            "position": position,
            "device": v.device,
            "token": binding.token if binding is not None else "",
            "kind": v.kind,
            "boot": v.boot,
            "seq": v.seq,
            "device_time": v.time,
            "synced": v.synced,
            "stamp": stamp(v.time, v.synced, ctx.time) if v.kind else ctx.time,
            "status": "rejected",
            "reason": v.reason,
            "increment": 0,
            "run_seconds": v.run_seconds,
            "message": raw,
        }
        rows.append(row)
        if v.reason:
            rejected.append({"position": position, "reason": v.reason})
            continue
        if not state.seen.add(v.device, v.kind, v.boot, v.seq):
            row["status"] = "duplicate"
            duplicates += 1
            continue
        row["status"] = "verified"
        verified += 1
        if v.kind == "reading":
            last = state.counters.get(v.device)
            if is_after(last, v.boot, v.seq):
                current = Counter(v.boot, v.seq, v.run_seconds)
                added = increment(last, current)
                state.counters[v.device] = current
                row["increment"] = added  # the usage meter is these rows, indexed by (token, stamp)
    state.readings_verified += verified
    state.readings_rejected += len(rejected)
    ctx.batch_row = {
        "idx": ctx.index,
        "batch_id": ctx.tx.id,
        "gateway": ctx.signer,
        "root": root,
        "count": count,
    }
    return {
        "batch": ctx.index,
        "batch_id": ctx.tx.id,
        "count": count,
        "verified": verified,
        "duplicates": duplicates,
        "rejected": rejected,
    }
