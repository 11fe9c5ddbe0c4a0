"""Deposits into and withdrawals from settlement balances."""

from __future__ import annotations

from typing import Any

from backend.books import EXTERNAL, settlement
from backend.domain.context import Context, certified, refuse, reviewer
from chain_client.ledger.reasons import TxReason


def deposit(ctx: Context) -> dict[str, Any]:
    """A reviewer records money received off-ledger for an enterprise."""
    reviewer(ctx)
    account, amount = ctx.args["account"], ctx.args["amount"]
    if account == ctx.signer:
        # Separation of duties, the operator included: another reviewer records money for a reviewer.
        raise refuse(TxReason.SELF_DEPOSIT, f"reviewer {account} cannot record a deposit to itself")
    if account not in ctx.state.enterprises:
        raise refuse(TxReason.UNKNOWN_ENTERPRISE, f"account {account} is not a registered enterprise")
    ctx.state.books.post(ctx.index, EXTERNAL, settlement(account), amount, f"deposit {ctx.args['reference']}")
    return {"account": account, "balance": ctx.state.books.balance(settlement(account))}


def withdraw(ctx: Context) -> dict[str, Any]:
    """An enterprise takes money out of its settlement balance."""
    certified(ctx, ctx.signer)
    amount, books = ctx.args["amount"], ctx.state.books
    source = settlement(ctx.signer)
    if not books.can_pay(source, amount):
        raise refuse(
            TxReason.INSUFFICIENT_FUNDS, f"{source} holds {books.balance(source)}, cannot withdraw {amount}"
        )
    books.post(ctx.index, source, EXTERNAL, amount, f"withdraw {ctx.args['reference']}")
    return {"account": ctx.signer, "balance": books.balance(source)}
