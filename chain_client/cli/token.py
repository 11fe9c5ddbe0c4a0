"""``leasechain token``: mint equipment tokens, bind sensor keys, transfer, show and set status."""

from __future__ import annotations

import argparse
from typing import Any

from chain_client import human
from chain_client.cli.context import Context
from chain_client.cli.human import View
from chain_client.cli.registry import command, group
from chain_client.cli.values import fee, pairs, posint, uint
from chain_client.ledger.schema import TokenStatus

COLUMNS = ["id", "serial", "model", "owner", "status", "user", "lease"]
DEVICE_COLUMNS = ["device", "status", "bound_at", "ended_at", "reason"]
MONEY_FIELDS = ("price", "salvage_value", "share_price")
TIME_FIELDS = ("user_expires", "minted_at")
PARTY_FIELDS = ("manufacturer", "owner", "approved", "user")


def mint(ctx: Context) -> int:
    """Tokenize a machine (manufacturer); all shares start with the manufacturer."""
    a = ctx.args
    with ctx.client(signing=True) as client:
        result = client.mint_token(
            a.serial,
            a.model,
            price=a.price,
            salvage_value=a.salvage_value,
            shares=a.shares,
            share_price=a.share_price,
            specs=pairs(a.spec, "spec"),
            fee_terms=[(ctx.account(account), bps) for account, bps in a.fee_term or []],
        )
    return ctx.done(result, f"token {result.token}")


def fee_terms(ctx: Context) -> int:
    """Lower a token's fee terms (owner): keep fewer accounts or fewer bps, never more."""
    terms = [(ctx.account(account), bps) for account, bps in ctx.args.fee or []]
    with ctx.client(signing=True) as client:
        result = client.set_fee_terms(ctx.args.token, terms)
    return ctx.done(result, lambda v: f"fee terms of {ctx.args.token}: {v.fees(terms)}")


def bind_device(ctx: Context) -> int:
    """Bind a sensor's public key to a token (owner)."""
    with ctx.client(signing=True) as client:
        result = client.bind_device(ctx.args.token, ctx.args.public_key)
    return ctx.done(result, f"device {result.device} bound to {result.token}")


def rotate_device(ctx: Context) -> int:
    """Replace a token's active sensor key (owner)."""
    with ctx.client(signing=True) as client:
        result = client.rotate_device(ctx.args.token, ctx.args.public_key)
    return ctx.done(result, f"device {result.device} now active on {result.token}")


def revoke_device(ctx: Context) -> int:
    """Revoke a token's active sensor key (owner or reviewer)."""
    with ctx.client(signing=True) as client:
        result = client.revoke_device(ctx.args.token, ctx.args.reason)
    return ctx.done(result, f"device {result.result.get('revoked')} revoked")


def transfer(ctx: Context) -> int:
    """Give a token to a certified enterprise (owner or approved)."""
    to = ctx.account(ctx.args.to)
    with ctx.client(signing=True) as client:
        result = client.transfer_token(ctx.args.token, to)
    return ctx.done(result, lambda v: f"{ctx.args.token} now owned by {v.party(to)}")


def approve(ctx: Context) -> int:
    """Let one account transfer the token (owner); ``none`` clears the approval."""
    spender = "" if ctx.args.spender == "none" else ctx.account(ctx.args.spender)
    with ctx.client(signing=True) as client:
        result = client.approve_token(ctx.args.token, spender)
    return ctx.done(result, lambda v: f"approved {v.party(spender) if spender else 'nobody'}")


def status(ctx: Context) -> int:
    """Show a token (owner, status, user, devices), or move its status with --set."""
    if ctx.args.set:
        with ctx.client(signing=True) as client:
            return ctx.done(client.set_token_status(ctx.args.token, ctx.args.set), f"status {ctx.args.set}")
    with ctx.client() as client:
        found = client.token(ctx.args.token)
    if ctx.json:
        ctx.emit(found)
        return 0
    data = found.model_dump()
    devices = data.pop("devices")
    _readable(data, ctx.view)
    data["fee_terms"] = ctx.view.fees([(f.account, f.bps) for f in found.fee_terms])
    ctx.record(data)
    print("\ndevices:", file=ctx.out)
    for row in devices:
        row["bound_at"], row["ended_at"] = human.when(row["bound_at"]), human.when(row["ended_at"])
    ctx.rows(devices, DEVICE_COLUMNS)
    return 0


def _readable(data: dict[str, Any], view: View) -> None:
    """Money, times and accounts of a token record, for people."""
    for name in MONEY_FIELDS:
        data[name] = view.money(data[name])
    for name in TIME_FIELDS:
        data[name] = human.when(data[name])
    for name in PARTY_FIELDS:
        data[name] = view.party(data[name])


def list_all(ctx: Context) -> int:
    """Every token."""
    with ctx.client() as client:
        found = client.tokens()
    if ctx.json:
        ctx.emit(found)
        return 0
    rows = [t.model_dump(include=set(COLUMNS)) for t in found]
    for row in rows:
        row["owner"], row["user"] = ctx.view.party(row["owner"]), ctx.view.party(row["user"])
    ctx.rows(rows, COLUMNS)
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``token`` and its subcommands."""
    cmds = group(sub, "token", "equipment tokens and their sensor keys")
    m = command(cmds, "mint", "tokenize a machine (manufacturer)", mint, common)
    m.add_argument("--serial", required=True)
    m.add_argument("--model", required=True)
    m.add_argument("--price", type=uint, required=True, help="minor units")
    m.add_argument("--salvage-value", type=uint, required=True, help="minor units, at most the price")
    m.add_argument("--shares", type=posint, required=True)
    m.add_argument("--share-price", type=uint, required=True, help="minor units per share")
    m.add_argument("--spec", action="append", metavar="KEY=VALUE", help="e.g. spindle=12kW (repeatable)")
    m.add_argument(
        "--fee-term",
        type=fee,
        action="append",
        metavar="ACCOUNT:BPS",
        help="most a lease may pay this account per payment, in basis points (repeatable); "
        "investors buy into these terms, which can later only be lowered",
    )
    ft = command(cmds, "fee-terms", "lower a token's fee terms (owner)", fee_terms, common)
    ft.add_argument("token")
    ft.add_argument(
        "--fee", type=fee, action="append", metavar="ACCOUNT:BPS", help="a term to keep (repeatable)"
    )
    for name, run, text in (
        ("bind-device", bind_device, "bind a sensor key to a token (owner)"),
        ("rotate-device", rotate_device, "replace the active sensor key (owner)"),
    ):
        c = command(cmds, name, text, run, common)
        c.add_argument("token")
        c.add_argument("public_key", help="the sensor's Ed25519 public key, 64 hex digits")
    rv = command(cmds, "revoke-device", "revoke the active sensor key", revoke_device, common)
    rv.add_argument("token")
    rv.add_argument("--reason", required=True)
    t = command(cmds, "transfer", "give the token to a certified enterprise", transfer, common)
    t.add_argument("token")
    t.add_argument("to", help="account id or key name")
    ap = command(cmds, "approve", "let an account transfer the token (owner)", approve, common)
    ap.add_argument("token")
    ap.add_argument("spender", help="account id, key name, or none")
    s = command(cmds, "status", "show a token, or set its status", status, common)
    s.add_argument("token")
    s.add_argument("--set", choices=[x.value for x in TokenStatus if x is not TokenStatus.LEASED])
    command(cmds, "list", "every token", list_all, common)
