"""``leasechain market``'s guarantees, services and credit scores."""

from __future__ import annotations

import argparse
from itertools import islice
from pathlib import Path

from chain_client import human
from chain_client.cli.context import Context
from chain_client.cli.errors import CliError
from chain_client.cli.registry import command
from chain_client.cli.values import hex_bytes, posint, uint, when
from chain_client.client.sync import MAX_PAGE
from chain_client.credit.replay import from_ledger
from chain_client.credit.score import score

MAX_REPORT = 64 * 1024 * 1024  # a report document read to hash it
SERVICE_COLUMNS = ["account", "name", "orders", "delivered", "cancelled", "ratings", "mean_rating"]
ORDER_COLUMNS = ["id", "client", "subject", "scope", "fee", "status", "delivered_at", "rating"]
GUARANTEE_COLUMNS = ["id", "token", "manufacturer", "kind", "amount", "until", "status"]


def page_size(limit: int | None) -> int:
    """The page to ask for when at most ``limit`` rows are wanted (``None``: all, page by page)."""
    return MAX_PAGE if limit is None else min(limit, MAX_PAGE)


def guarantee(ctx: Context) -> int:
    """Put a security or salvage guarantee on a token in escrow (manufacturer)."""
    a = ctx.args
    with ctx.client(signing=True) as client:
        result = client.post_guarantee(a.token, a.kind, a.amount, a.until)
    return ctx.done(
        result, lambda v: f"guarantee {result.result.get('guarantee')} of {v.money(a.amount)} held"
    )


def guarantees(ctx: Context) -> int:
    """Manufacturers' guarantees, newest first: every page, or ``--limit`` of them."""
    with ctx.client() as client:
        found = list(islice(client.iter_guarantees(page_size=page_size(ctx.args.limit)), ctx.args.limit))
    if ctx.json:
        ctx.emit(found)
        return 0
    v = ctx.view
    rows = []
    for g in found:
        row = g.model_dump(include=set(GUARANTEE_COLUMNS))
        row.update(manufacturer=v.party(g.manufacturer), amount=v.money(g.amount), until=human.when(g.until))
        rows.append(row)
    ctx.rows(rows, GUARANTEE_COLUMNS)
    return 0


def settle(ctx: Context) -> int:
    """Settle a guarantee by its rule."""
    with ctx.client(signing=True) as client:
        result = client.settle_guarantee(ctx.args.guarantee)
    r = result.result
    return ctx.done(
        result, lambda v: f"guarantee {r.get('status')} to {v.party(str(r.get('paid_to')))}: {r.get('why')}"
    )


def engage(ctx: Context) -> int:
    """Engage a service on a token or a lease; the fee waits in escrow for the report."""
    a = ctx.args
    with ctx.client(signing=True) as client:
        result = client.engage_service(ctx.account(a.service), a.subject, a.scope, a.fee, a.due)
    return ctx.done(result, f"service order {result.result.get('order')}")


def _document(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_REPORT:
            raise CliError(f"report {path} is over {MAX_REPORT} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read report {path}: {exc.strerror}") from None


def deliver(ctx: Context) -> int:
    """Deliver a report: its SHA-256, signed by you, goes on the ledger (service)."""
    document = _document(Path(ctx.args.report))
    with ctx.client(signing=True) as client:
        result = client.deliver_report(ctx.args.order, document)
    return ctx.done(result, lambda v: f"report delivered, {v.money(int(result.result.get('paid', 0)))} paid")


def cancel(ctx: Context) -> int:
    """Cancel an order not delivered by its due time; the fee comes back (client)."""
    with ctx.client(signing=True) as client:
        return ctx.done(client.cancel_service(ctx.args.order), f"order {ctx.args.order} cancelled")


def rate(ctx: Context) -> int:
    """Rate a delivered order, 1 to 5 (client)."""
    a = ctx.args
    with ctx.client(signing=True) as client:
        return ctx.done(
            client.rate_service(a.order, a.rating, a.comment), f"order {a.order} rated {a.rating}"
        )


def services(ctx: Context) -> int:
    """Every certified service with its orders and ratings."""
    with ctx.client() as client:
        found = client.services()
    ctx.rows([s.model_dump(include=set(SERVICE_COLUMNS)) for s in found], SERVICE_COLUMNS)
    return 0


def service(ctx: Context) -> int:
    """A service's record and its order history, newest first: every page, or ``--limit`` orders."""
    account = ctx.account(ctx.args.account)
    with ctx.client() as client:
        record = client.service(account, 1)
        orders = client.iter_service_history(account, page_size=page_size(ctx.args.limit))
        found = record.model_copy(update={"history": list(islice(orders, ctx.args.limit))})
    if ctx.json:
        ctx.emit(found)
        return 0
    ctx.record(found.model_dump(exclude={"history"}))
    print("\norders:", file=ctx.out)
    v = ctx.view
    rows = []
    for o in found.history:
        row = o.model_dump(include=set(ORDER_COLUMNS))
        row.update(client=v.party(o.client), fee=v.money(o.fee), delivered_at=human.when(o.delivered_at))
        row["rating"] = o.rating or "-"
        rows.append(row)
    ctx.rows(rows, ORDER_COLUMNS)
    return 0


def credit(ctx: Context) -> int:
    """An enterprise's credit score with each factor explained; --recompute folds the log itself."""
    account = ctx.account(ctx.args.account) if ctx.args.account else ctx.own_account()
    with ctx.client() as client:
        if ctx.args.recompute:
            book = from_ledger(client, ctx.args.log_key or bytes.fromhex(client.info().log_key))
            data = score(book, account).to_json()
        else:
            data = client.credit(account).model_dump()
    if ctx.json:
        ctx.emit(data)
        return 0
    thin = " (thin file: too little history to mean much)" if data["thin_file"] else ""
    source = "recomputed from the log" if ctx.args.recompute else "as the ledger computes it"
    print(f"{ctx.view.party(account)}: credit score {data['score']}, band {data['band']}{thin}", file=ctx.out)
    print(f"at {human.when(data['at'])}, {source}; base {data['base']}", file=ctx.out)
    for line in data["lines"]:
        print(f"  {line['text']}", file=ctx.out)
    return 0


def register(
    cmds: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the guarantee, service and credit subcommands to ``market``."""
    g = command(cmds, "guarantee", "put a guarantee on a token in escrow (manufacturer)", guarantee, common)
    g.add_argument("token")
    g.add_argument("--kind", choices=["security", "salvage"], required=True)
    g.add_argument("--amount", type=posint, required=True, help="minor units")
    g.add_argument("--until", type=when, required=True, help="ISO 8601, Unix seconds or +SECONDS")
    command(cmds, "settle", "settle a guarantee by its rule", settle, common).add_argument("guarantee")
    e = command(cmds, "engage", "engage a service on a token or lease", engage, common)
    e.add_argument("service", help="account id or key name")
    e.add_argument("--subject", required=True, help="a token or lease id")
    e.add_argument("--scope", required=True, help="what the service is to do")
    e.add_argument("--fee", type=uint, required=True, help="minor units, paid on delivery")
    e.add_argument("--due", type=when, required=True, help="ISO 8601, Unix seconds or +SECONDS")
    d = command(cmds, "deliver", "deliver a report for an order (service)", deliver, common)
    d.add_argument("order")
    d.add_argument("report", help="the report document (its SHA-256 is signed and recorded)")
    command(cmds, "cancel-order", "cancel an overdue order (client)", cancel, common).add_argument("order")
    r = command(cmds, "rate", "rate a delivered order (client)", rate, common)
    r.add_argument("order")
    r.add_argument("rating", type=int, choices=range(1, 6), metavar="RATING", help="1 to 5")
    r.add_argument("--comment", default="")
    command(cmds, "services", "every service with its ratings", services, common)
    s = command(cmds, "service", "a service and its order history, newest first", service, common)
    s.add_argument("account")
    s.add_argument("--limit", type=posint, help="at most this many orders (default: all, page by page)")
    g = command(cmds, "guarantees", "manufacturers' guarantees, newest first", guarantees, common)
    g.add_argument("--limit", type=posint, help="at most this many guarantees (default: all, page by page)")
    c = command(cmds, "credit", "an enterprise's credit score, explained", credit, common)
    c.add_argument("account", nargs="?", help="account id or key name (default: --key's)")
    c.add_argument("--recompute", action="store_true", help="read the whole log and compute it here")
    c.add_argument(
        "--log-key",
        type=hex_bytes,
        help="with --recompute: the log's public key in hex (default: as served by /v1/info)",
    )
