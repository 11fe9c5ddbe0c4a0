"""``leasechain shares``: buy and transfer a token's shares, list its holders."""

from __future__ import annotations

import argparse

from chain_client.cli.context import Context
from chain_client.cli.registry import command, group
from chain_client.cli.values import posint


def buy(ctx: Context) -> int:
    """Buy shares the manufacturer still holds (investor)."""
    with ctx.client(signing=True) as client:
        result = client.buy_shares(ctx.args.token, ctx.args.count)
    r = result.result
    paid = int(r.get("paid", 0))
    return ctx.done(result, lambda v: f"holding {r.get('shares')} shares, paid {v.money(paid)}")


def transfer(ctx: Context) -> int:
    """Give shares to a certified investor (holder)."""
    to = ctx.account(ctx.args.to)
    with ctx.client(signing=True) as client:
        result = client.transfer_shares(ctx.args.token, to, ctx.args.count)
    return ctx.done(result, lambda v: f"{ctx.args.count} shares to {v.party(to)}")


def holders(ctx: Context) -> int:
    """Share holders of a token."""
    with ctx.client() as client:
        found = client.holders(ctx.args.token)
    if ctx.json:
        ctx.emit(found)
        return 0
    rows = [
        {"holder": ctx.view.party(a), "shares": n, "percent": f"{100 * n / found.total_shares:.2f} %"}
        for a, n in sorted(found.holders.items(), key=lambda x: (-x[1], x[0]))
    ]
    ctx.rows(rows, ["holder", "shares", "percent"])
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``shares`` and its subcommands."""
    cmds = group(sub, "shares", "investor shares of a token")
    b = command(cmds, "buy", "buy shares (investor)", buy, common)
    b.add_argument("token")
    b.add_argument("count", type=posint)
    t = command(cmds, "transfer", "give shares to an investor", transfer, common)
    t.add_argument("token")
    t.add_argument("to", help="account id or key name")
    t.add_argument("count", type=posint)
    command(cmds, "holders", "share holders of a token", holders, common).add_argument("token")
