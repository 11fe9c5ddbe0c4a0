"""``leasechain account``: deposits, withdrawals and balances of settlement accounts."""

from __future__ import annotations

import argparse

from chain_client.cli.context import Context
from chain_client.cli.registry import command, group
from chain_client.cli.values import posint


def deposit(ctx: Context) -> int:
    """Credit money received off-ledger to an account (reviewer)."""
    account = ctx.account(ctx.args.account)
    with ctx.client(signing=True) as client:
        result = client.deposit(account, ctx.args.amount, ctx.args.reference)
    balance = int(result.result.get("balance", 0))
    return ctx.done(result, lambda v: f"{v.party(account)} now holds {v.money(balance)}")


def withdraw(ctx: Context) -> int:
    """Take money out of your settlement balance."""
    with ctx.client(signing=True) as client:
        result = client.withdraw(ctx.args.amount, ctx.args.reference)
    balance = int(result.result.get("balance", 0))
    return ctx.done(result, lambda v: f"balance {v.money(balance)}")


def balance(ctx: Context) -> int:
    """Balance of an account (default: --key's), or of a ledger account such as escrow:<lease>."""
    name = ctx.args.account
    account = name if name and (":" in name or name == "external") else None
    if account is None:
        account = ctx.account(name) if name else ctx.own_account()
    with ctx.client() as client:
        found = client.balance(account)
    if ctx.json:
        ctx.emit(found)
        return 0
    ctx.emit(found, f"{ctx.view.party(found.account)}: {ctx.view.money(found.balance)}")
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``account`` and its subcommands."""
    cmds = group(sub, "account", "settlement balances (integer minor units)")
    d = command(cmds, "deposit", "credit a deposit received off-ledger (reviewer)", deposit, common)
    d.add_argument("account", help="account id or key name")
    d.add_argument("amount", type=posint)
    d.add_argument("--reference", required=True, help="the bank reference")
    w = command(cmds, "withdraw", "withdraw from your balance", withdraw, common)
    w.add_argument("amount", type=posint)
    w.add_argument("--reference", required=True)
    b = command(cmds, "balance", "an account's balance", balance, common)
    b.add_argument("account", nargs="?", help="account id, key name or ledger account (default: --key)")
