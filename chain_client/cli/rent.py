"""``leasechain rent``: issue and pay invoices, see payouts."""

from __future__ import annotations

import argparse

from chain_client import human
from chain_client.cli.context import Context
from chain_client.cli.registry import command, group
from chain_client.cli.values import uint

PAYOUT_COLUMNS = ["account", "kind", "basis", "amount"]
INVOICE_TIMES = ("start", "end", "due", "issued_at", "paid_at")


def invoice(ctx: Context) -> int:
    """Invoice an ended period of a lease (owner, lessee or reviewer), signing the ledger's evidence."""
    with ctx.client(signing=True) as client:
        result = client.issue_invoice(ctx.args.lease, ctx.args.period)
    r = result.result
    return ctx.done(
        result,
        lambda v: (
            f"invoice {r.get('invoice')}: {v.money(int(r.get('amount', 0)))} "
            f"({human.machine_hours(int(r.get('usage_seconds', 0)))} "
            f"from {r.get('evidence_count')} readings, "
            f"usage charge {v.money(int(r.get('usage_charge', 0)))})"
        ),
    )


def pay(ctx: Context) -> int:
    """Pay an invoice (lessee); it is distributed at once."""
    with ctx.client(signing=True) as client:
        result = client.pay_invoice(ctx.args.invoice)
    r = result.result
    timing = "on time" if r.get("on_time") else "late"
    return ctx.done(
        result, lambda v: f"paid {v.money(int(r.get('paid', 0)))} {timing}, {r.get('payouts')} payout lines"
    )


def payouts(ctx: Context) -> int:
    """Payout lines of one invoice (--invoice), or those an account received."""
    with ctx.client() as client:
        if ctx.args.invoice:
            found = client.invoice(ctx.args.invoice)
            if ctx.json:
                ctx.emit(found)
                return 0
            v = ctx.view
            data = found.model_dump(exclude={"payouts", "holders"})
            for name in INVOICE_TIMES:
                data[name] = human.when(data[name])
            for name in ("fixed", "usage_charge", "amount"):
                data[name] = v.money(data[name])
            data["usage_seconds"] = f"{found.usage_seconds} s ({human.machine_hours(found.usage_seconds)})"
            data["on_time"] = found.on_time if found.paid_at else None
            if data.get("evidence"):  # the digest the invoice signs; the full value is in --json
                data["evidence"] = f"{data['evidence'][:16]}… (see audit export)"
            ctx.record(data)
            print("\npayouts:", file=ctx.out)
            rows = [
                {
                    "account": v.party(p.account),
                    "kind": p.kind,
                    "basis": _basis(p.kind, p.basis),
                    "amount": v.money(p.amount),
                }
                for p in found.payouts
            ]
            ctx.rows(rows, PAYOUT_COLUMNS)
            return 0
        account = ctx.account(ctx.args.account) if ctx.args.account else ctx.own_account()
        lines = client.payouts(account)
    if ctx.json:
        ctx.emit(lines.payouts)
        return 0
    rows = [
        {
            "invoice": p.invoice,
            "kind": p.kind,
            "basis": _basis(p.kind, p.basis),
            "amount": ctx.view.money(p.amount),
        }
        for p in lines.payouts
    ]
    print(f"payouts received by {ctx.view.party(account)}:", file=ctx.out)
    ctx.rows(rows, ["invoice", "kind", "basis", "amount"])
    if rows:
        print(f"total: {ctx.view.money(sum(p.amount for p in lines.payouts))}", file=ctx.out)
    return 0


def _basis(kind: str, basis: int) -> str:
    """A fee's basis is in basis points, a holder's in shares."""
    return human.percent_bps(basis) if kind == "fee" else f"{basis} shares"


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
