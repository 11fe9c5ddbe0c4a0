"""``leasechain enterprise``: register, review and look up enterprises."""

from __future__ import annotations

import argparse

from chain_client import human
from chain_client.cli.context import Context
from chain_client.cli.registry import command, group
from chain_client.cli.values import pairs
from chain_client.ledger.schema import REGISTRABLE_ROLES

COLUMNS = ["name", "account", "roles", "status", "registered"]


def register_enterprise(ctx: Context) -> int:
    """Apply for certification in one or more roles (signed by --key)."""
    info = pairs(ctx.args.info, "info")
    with ctx.client(signing=True) as client:
        result = client.register_enterprise(ctx.args.name, ctx.args.role, info)
    return ctx.done(result, f"{ctx.args.name} ({result.signer}) is pending review")


def approve(ctx: Context) -> int:
    """Certify a pending enterprise (reviewer)."""
    account = ctx.account(ctx.args.enterprise)
    with ctx.client(signing=True) as client:
        result = client.approve_enterprise(account, ctx.args.reason)
    return ctx.done(result, lambda v: f"{v.party(account)} approved")


def reject(ctx: Context) -> int:
    """Reject a pending enterprise with a reason (reviewer)."""
    account = ctx.account(ctx.args.enterprise)
    with ctx.client(signing=True) as client:
        result = client.reject_enterprise(account, ctx.args.reason)
    return ctx.done(result, lambda v: f"{v.party(account)} rejected")


def add_reviewer(ctx: Context) -> int:
    """Let an account review enterprises and record deposits (operator)."""
    account = ctx.account(ctx.args.account)
    with ctx.client(signing=True) as client:
        result = client.add_reviewer(account)
    return ctx.done(result, lambda v: f"{v.party(account)} is a reviewer")


def review_service(ctx: Context) -> int:
    """Rate a certified third-party service 1..5 (once per reviewer and service)."""
    service = ctx.account(ctx.args.service)
    with ctx.client(signing=True) as client:
        result = client.review_service(service, ctx.args.rating, ctx.args.comment)
    return ctx.done(result, lambda v: f"{v.party(service)} has {result.result.get('reviews')} reviews")


def show(ctx: Context) -> int:
    """One enterprise with its credit record."""
    with ctx.client() as client:
        found = client.enterprise(ctx.account(ctx.args.enterprise))
    data = found.model_dump()
    data.update({f"credit.{k}": v for k, v in data.pop("credit").items()})
    if ctx.json:
        ctx.emit(data)
        return 0
    v = ctx.view
    data["registered_at"] = human.when(found.registered_at)
    data["reviewed_by"] = v.party(found.reviewed_by)
    data["credit.certified_at"] = human.when(found.credit.certified_at)
    data["reviews_given"] = [v.party(a) for a in found.reviews_given]
    ctx.record(data)
    return 0


def list_all(ctx: Context) -> int:
    """Every enterprise."""
    with ctx.client() as client:
        found = client.enterprises()
    if ctx.json:
        ctx.emit(found)
        return 0
    rows = [
        {
            "name": e.name,
            "account": human.short_account(e.account),
            "roles": e.roles,
            "status": e.status,
            "registered": human.when(e.registered_at),
        }
        for e in found
    ]
    ctx.rows(rows, COLUMNS)
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``enterprise`` and its subcommands."""
    cmds = group(sub, "enterprise", "enterprises: registration and certification")
    reg = command(cmds, "register", "apply for certification", register_enterprise, common)
    reg.add_argument("--name", required=True)
    reg.add_argument(
        "--role", action="append", required=True, choices=sorted(REGISTRABLE_ROLES), help="repeat for several"
    )
    reg.add_argument("--info", action="append", metavar="KEY=VALUE", help="e.g. country=DE (repeatable)")
    ok = command(cmds, "approve", "certify a pending enterprise", approve, common)
    ok.add_argument("enterprise", help="account id or key name")
    ok.add_argument("--reason", default="")
    no = command(cmds, "reject", "reject a pending enterprise", reject, common)
    no.add_argument("enterprise", help="account id or key name")
    no.add_argument("--reason", required=True)
    rev = command(cmds, "add-reviewer", "make an account a reviewer (operator)", add_reviewer, common)
    rev.add_argument("account", help="account id or key name")
    rs = command(cmds, "review-service", "rate a third-party service 1..5", review_service, common)
    rs.add_argument("service", help="account id or key name")
    rs.add_argument("--rating", type=int, choices=range(1, 6), required=True)
    rs.add_argument("--comment", default="")
    command(cmds, "show", "one enterprise", show, common).add_argument("enterprise")
    command(cmds, "list", "every enterprise", list_all, common)
