"""``leasechain lease``: offer, sign, show and end leases."""

from __future__ import annotations

import argparse
from typing import Any

from chain_client import human
from chain_client.cli.context import Context
from chain_client.cli.errors import CliError
from chain_client.cli.human import View
from chain_client.cli.registry import command, group
from chain_client.cli.values import fee, posint, uint, when

COLUMNS = ["id", "token", "lessee", "status", "start", "end", "period", "fixed_rent", "usage_rate"]
INVOICE_COLUMNS = ["id", "start", "end", "usage", "amount", "paid_at", "on_time"]
TIME_FIELDS = ("start", "end", "offered_at", "expires", "signed_at", "closed_at", "ended_at")


def offer(ctx: Context) -> int:
    """Offer a token on lease to a certified lessee (owner)."""
    a = ctx.args
    if (a.end is None) == (a.periods is None):
        raise CliError("give exactly one of --end and --periods")
    end = a.end if a.end is not None else a.start + a.periods * a.period
    fees = [(ctx.account(account), bps) for account, bps in a.fee or []]
    with ctx.client(signing=True) as client:
        result = client.offer_lease(
            a.token,
            ctx.account(a.lessee),
            start=a.start,
            end=end,
            period=a.period,
            fixed_rent=a.fixed_rent,
            usage_rate=a.usage_rate,
            deposit=a.deposit,
            grace=a.grace,
            fees=fees,
            expires=a.expires,
        )
    return ctx.done(
        result,
        lambda v: (
            f"lease {result.lease} ({result.result.get('periods')} periods of "
            f"{human.duration(a.period)} from {human.when(a.start)}) awaits {v.party(ctx.account(a.lessee))}"
        ),
    )


def sign(ctx: Context) -> int:
    """Accept a pending lease (lessee); the deposit moves to escrow."""
    with ctx.client(signing=True) as client:
        return ctx.done(client.sign_lease(ctx.args.lease), f"lease {ctx.args.lease} is active")


def withdraw(ctx: Context) -> int:
    """Withdraw a pending offer (the owner who made it)."""
    with ctx.client(signing=True) as client:
        return ctx.done(client.cancel_offer(ctx.args.lease), f"offer {ctx.args.lease} withdrawn")


def end(ctx: Context) -> int:
    """Close an ended lease whose every period is paid (owner or lessee)."""
    with ctx.client(signing=True) as client:
        result = client.close_lease(ctx.args.lease)
    returned = int(result.result.get("deposit_returned", 0))
    return ctx.done(result, lambda v: f"lease closed, deposit {v.money(returned)} returned")


def show(ctx: Context) -> int:
    """A lease with its invoices."""
    with ctx.client() as client:
        found = client.lease(ctx.args.lease)
    if ctx.json:
        ctx.emit(found)
        return 0
    v = ctx.view
    data = _readable(found.model_dump(exclude={"invoices"}), v)
    data["lessor"] = v.party(found.lessor)
    data["grace"] = human.duration(found.grace)
    data["deposit"] = v.money(found.deposit)
    data["fees"] = v.fees([(f.account, f.bps) for f in found.fees])
    ctx.record(data)
    print("\ninvoices:", file=ctx.out)
    rows = [
        {
            "id": i.id,
            "start": human.when(i.start),
            "end": human.when(i.end),
            "usage": human.machine_hours(i.usage_seconds),
            "amount": v.money(i.amount),
            "paid_at": human.when(i.paid_at),
            "on_time": i.on_time if i.paid_at else None,
        }
        for i in found.invoices
    ]
    ctx.rows(rows, INVOICE_COLUMNS)
    return 0


def _readable(data: dict[str, Any], view: View) -> dict[str, Any]:
    """The times, accounts, period and rent of a lease record, for people."""
    for name in TIME_FIELDS:
        if name in data:
            data[name] = human.when(data[name])
    data["lessee"] = view.party(data["lessee"])
    data["period"] = human.duration(data["period"])
    data["fixed_rent"] = view.money(data["fixed_rent"])
    data["usage_rate"] = f"{view.money(data['usage_rate'])} per machine-hour"
    return data


def list_all(ctx: Context) -> int:
    """Every lease."""
    with ctx.client() as client:
        found = client.leases()
    if ctx.json:
        ctx.emit(found)
        return 0
    ctx.rows([_readable(lease.model_dump(include=set(COLUMNS)), ctx.view) for lease in found], COLUMNS)
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``lease`` and its subcommands."""
    cmds = group(sub, "lease", "leases of tokens")
    o = command(cmds, "offer", "offer a lease (owner)", offer, common)
    o.add_argument("token")
    o.add_argument("--lessee", required=True, help="account id or key name")
    o.add_argument(
        "--start", type=when, default="now", help="ISO 8601, Unix seconds, now, or +SECONDS (default now)"
    )
    o.add_argument("--end", type=when, help="ISO 8601, Unix seconds or +SECONDS")
    o.add_argument("--periods", type=posint, help="instead of --end: this many periods")
    o.add_argument("--period", type=posint, required=True, help="rent period in seconds")
    o.add_argument("--fixed-rent", type=uint, required=True, help="minor units per period")
    o.add_argument("--usage-rate", type=uint, default=0, help="minor units per machine-hour")
    o.add_argument("--deposit", type=uint, default=0)
    o.add_argument("--grace", type=uint, default=0, help="seconds after a period's end a payment is on time")
    o.add_argument("--fee", type=fee, action="append", metavar="ACCOUNT:BPS", help="a fee split (repeatable)")
    o.add_argument(
        "--expires",
        type=when,
        help="ISO 8601, Unix seconds or +SECONDS: the lessee must sign before "
        "(default a week, or the lease end)",
    )
    command(cmds, "withdraw", "withdraw a pending offer (owner)", withdraw, common).add_argument("lease")
    command(cmds, "sign", "accept a lease (lessee)", sign, common).add_argument("lease")
    command(cmds, "show", "a lease and its invoices", show, common).add_argument("lease")
    command(cmds, "end", "close an ended, paid lease", end, common).add_argument("lease")
    command(cmds, "list", "every lease", list_all, common)
