"""The deterministic state machine: one log entry in, state changed and a result out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from backend.domain import HANDLERS, Context
from backend.readings import Readings
from backend.state import State
from backend.verify import Verifier
from chain_client.ledger.errors import TransactionError
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import TxType, batch_messages, check_args, parse_type
from chain_client.ledger.transaction import Transaction


@dataclass
class Outcome:
    """What applying one transaction produced."""

    result: dict[str, Any]
    batch_row: dict[str, Any] | None
    reading_rows: list[dict[str, Any]]


def apply(
    state: State,
    tx: Transaction,
    index: int,
    time: int,
    verifier: Verifier | None = None,
    messages: Sequence[bytes] | None = None,
    readings: Readings | None = None,
    *,
    root_at: Callable[[int], bytes],
    replaying: bool = False,
) -> Outcome:
    """Apply ``tx`` as log entry ``index`` at ``time``; refuse it without changing ``state``.

    ``messages`` are the device messages that travel beside an ``anchor_batch`` (its entry
    commits to them by root and count only); any other type takes none. ``root_at`` gives the
    log's root hash at a size up to ``index``; ``replaying`` says the entry is already in the log.
    """
    tx_type = parse_type(tx.type)
    if index == 0 and tx_type is not TxType.GENESIS:
        raise TransactionError(
            TxReason.GENESIS_REQUIRED, f"the log is empty, {tx.type} must wait for genesis"
        )
    if index > 0 and tx_type is TxType.GENESIS:
        raise TransactionError(TxReason.GENESIS_EXISTS, f"the log already has {index} entries and a genesis")
    expected = tx.public_key if index == 0 else bytes.fromhex(state.operator)
    if tx.ledger != expected:
        raise TransactionError(
            TxReason.WRONG_LEDGER,
            f"transaction {tx.id!r} is for the ledger {tx.ledger.hex()}, this is {expected.hex()}",
        )
    args = check_args(tx_type, tx.args)
    if messages is not None and tx_type is not TxType.ANCHOR_BATCH:
        raise TransactionError(TxReason.BAD_ARGS, f"{tx.type} takes no messages beside it, only anchor_batch")
    sidecar = None if messages is None else batch_messages("messages", list(messages))
    ctx = Context(
        state,
        tx,
        args,
        index,
        time,
        verifier,
        messages=sidecar,
        readings=readings,
        root_at=root_at,
        replaying=replaying,
    )
    result = HANDLERS[tx_type](ctx)
    # The credit book folds the accepted entry as any reader of the log would (docs/credit.md).
    state.credit_book.apply(time, tx)
    for row in ctx.reading_rows:
        if row["status"] == "verified" and row["kind"] == "reading":
            state.credit_book.reading(row["token"], row["stamp"])
    return Outcome(result=result, batch_row=ctx.batch_row, reading_rows=ctx.reading_rows)
