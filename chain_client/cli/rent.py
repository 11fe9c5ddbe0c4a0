"""``leasechain rent``: issue and pay invoices, see payouts."""

from __future__ import annotations

import argparse

from chain_client.cli.context import Context
from chain_client.cli.registry import command, group
from chain_client.cli.values import uint

PAYOUT_COLUMNS = ["account", "kind", "basis", "amount"]


def invoice(ctx: Context) -> int:
    """Invoice an ended period of a lease (owner, lessee or reviewer), signing the ledger's evidence."""
    with ctx.client(signing=True) as client:
        result = client.issue_invoice(ctx.args.lease, ctx.args.period)
    r = result.result
    return ctx.done(
        result,
        f"invoice {r.get('invoice')}: {r.get('amount')} "
        f"({r.get('usage_seconds')} run-seconds from {r.get('evidence_count')} readings, "
        f"usage charge {r.get('usage_charge')})",
    )


def pay(ctx: Context) -> int:
    """Pay an invoice (lessee); it is distributed at once."""
    with ctx.client(signing=True) as client:
        result = client.pay_invoice(ctx.args.invoice)
    r = result.result
    timing = "on time" if r.get("on_time") else "late"
    return ctx.done(result, f"paid {r.get('paid')} {timing}, {r.get('payouts')} payout lines")


def payouts(ctx: Context) -> int:
    """Payout lines of one invoice (--invoice), or those an account received."""
    with ctx.client() as client:
        if ctx.args.invoice:
            found = client.invoice(ctx.args.invoice)
            if ctx.json:
                ctx.emit(found)
                return 0
            ctx.record(found.model_dump(exclude={"payouts", "holders"}))
            print("\npayouts:", file=ctx.out)
            ctx.rows(found.payouts, PAYOUT_COLUMNS)
            return 0
        account = ctx.account(ctx.args.account) if ctx.args.account else ctx.own_account()
        lines = client.payouts(account)
    ctx.rows(lines.payouts, ["invoice", "kind", "basis", "amount"])
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``rent`` and its subcommands."""
    cmds = group(sub, "rent", "invoices, payments and payouts")
    i = command(cmds, "invoice", "invoice an ended period", invoice, common)
    i.add_argument("lease")
    i.add_argument("period", type=uint, help="period index, from 0")
    command(cmds, "pay", "pay an invoice (lessee)", pay, common).add_argument("invoice")
    p = command(cmds, "payouts", "payout lines of an invoice or an account", payouts, common)
    p.add_argument("account", nargs="?", help="account id or key name (default: --key)")
    p.add_argument("--invoice", help="show this invoice's lines instead")
