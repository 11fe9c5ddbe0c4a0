"""``leasechain market``: requests, listings, proposals, the ranking of listings for a request."""

from __future__ import annotations

import argparse
import time
from itertools import islice

from chain_client import human
from chain_client.cli import market_services
from chain_client.cli.context import Context
from chain_client.cli.market_services import page_size
from chain_client.cli.registry import command, group
from chain_client.cli.values import fee, pairs, posint, uint, when
from chain_client.client.transactions import OFFER_LIFETIME

DAY = 86_400
REQUEST_COLUMNS = ["id", "kind", "site", "term", "budget", "hours", "status", "expires"]
LISTING_COLUMNS = ["id", "token", "kind", "site", "fixed_rent", "usage_rate", "deposit", "status"]


def post(ctx: Context) -> int:
    """Post what you need (lessee)."""
    a = ctx.args
    with ctx.client(signing=True) as client:
        result = client.post_request(
            a.kind,
            site=a.site,
            start=a.start,
            term=a.term * DAY,
            budget=a.budget,
            hours=a.hours,
            specs=pairs(a.spec, "spec"),
            expires=a.expires,
        )
    return ctx.done(result, f"request {result.result.get('request')} posted")


def withdraw(ctx: Context) -> int:
    """Withdraw your open request (lessee)."""
    with ctx.client(signing=True) as client:
        return ctx.done(client.withdraw_request(ctx.args.request), f"request {ctx.args.request} withdrawn")


def list_machine(ctx: Context) -> int:
    """List a machine with its terms (owner)."""
    a = ctx.args
    with ctx.client(signing=True) as client:
        result = client.list_machine(
            a.token,
            kind=a.kind,
            site=a.site,
            period=a.period,
            fixed_rent=a.fixed_rent,
            usage_rate=a.usage_rate,
            deposit=a.deposit,
            min_term=a.min_term * DAY,
            max_term=a.max_term * DAY,
        )
    return ctx.done(result, f"listing {result.result.get('listing')} for {a.token}")


def unlist(ctx: Context) -> int:
    """Take a listing down (owner)."""
    with ctx.client(signing=True) as client:
        return ctx.done(client.unlist(ctx.args.listing), f"listing {ctx.args.listing} unlisted")


def requests(ctx: Context) -> int:
    """Requests, newest first: every page, or ``--limit`` of them."""
    with ctx.client() as client:
        found = list(islice(client.iter_market_requests(page_size=page_size(ctx.args.limit)), ctx.args.limit))
    if ctx.json:
        ctx.emit(found)
        return 0
    rows = []
    for r in found:
        row = r.model_dump(include=set(REQUEST_COLUMNS))
        row.update(
            term=human.duration(r.term), budget=ctx.view.money(r.budget), expires=human.when(r.expires)
        )
        rows.append(row)
    ctx.rows(rows, REQUEST_COLUMNS)
    return 0


def listings(ctx: Context) -> int:
    """Listings, newest first: every page, or ``--limit`` of them."""
    with ctx.client() as client:
        found = list(islice(client.iter_listings(page_size=page_size(ctx.args.limit)), ctx.args.limit))
    if ctx.json:
        ctx.emit(found)
        return 0
    v = ctx.view
    rows = []
    for x in found:
        row = x.model_dump(include=set(LISTING_COLUMNS))
        row["fixed_rent"] = f"{v.money(x.fixed_rent)} per {human.duration(x.period)}"
        row["usage_rate"] = f"{v.money(x.usage_rate)} per machine-hour"
        row["deposit"] = v.money(x.deposit)
        rows.append(row)
    ctx.rows(rows, LISTING_COLUMNS)
    return 0


def match(ctx: Context) -> int:
    """The listings ranked for a request, with the reasons of each place."""
    with ctx.client() as client:
        found = client.matches(ctx.args.request, ctx.args.limit)
    if ctx.json:
        ctx.emit(found)
        return 0
    v = ctx.view
    thin = ", thin file" if found.thin_file else ""
    print(
        f"request {found.request}: lessee credit {found.lessee_score} (band {found.lessee_band}{thin}), "
        f"deposits at {found.deposit_percent}% of the listed; {found.candidates} live listings",
        file=ctx.out,
    )
    for m in found.matches:
        fits = "fits" if m.fits else "does not fit"
        print(
            f"\n{m.rank}. {m.listing}  {m.points} points, {fits}, {v.money(m.cost)} a month, "
            f"deposit {v.money(m.deposit)}",
            file=ctx.out,
        )
        for reason in m.reasons:
            print(f"   {reason}", file=ctx.out)
    return 0


def propose(ctx: Context) -> int:
    """Answer a request with a lease offer on your listing's terms (owner)."""
    a = ctx.args
    with ctx.client(signing=True) as client:
        deposit = a.deposit
        if deposit is None:  # the most the policy allows for this lessee
            ranked = {m.listing: m for m in client.matches(a.request, 1000).matches}
            deposit = ranked[a.listing].deposit if a.listing in ranked else 0
        fees = [(ctx.account(account), bps) for account, bps in a.fee or []]
        # An offer may stay open a week, never past the lease's end.
        end = a.start + client.market_request(a.request).term
        expires = a.expires if a.expires is not None else min(end, int(time.time()) + OFFER_LIFETIME)
        result = client.propose(
            a.request, a.listing, start=a.start, deposit=deposit, grace=a.grace, fees=fees, expires=expires
        )
    return ctx.done(
        result, f"lease offer {result.lease} awaits the lessee's signature (leasechain lease sign)"
    )


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``market`` and its subcommands."""
    cmds = group(sub, "market", "the marketplace: requests, listings, matching, services, credit scores")
    r = command(cmds, "request", "post what you need (lessee)", post, common)
    r.add_argument("kind", help="machine kind, e.g. cnc-mill")
    r.add_argument("--site", required=True)
    r.add_argument(
        "--start", type=when, default="now", help="earliest start: ISO 8601, Unix seconds, now, +SECONDS"
    )
    r.add_argument("--term", type=posint, required=True, help="lease term in days")
    r.add_argument("--budget", type=posint, required=True, help="the most per 30 days, minor units")
    r.add_argument("--hours", type=uint, required=True, help="expected machine-hours per 30 days")
    r.add_argument(
        "--spec", action="append", metavar="KEY=VALUE", help="a spec the machine must have (repeatable)"
    )
    r.add_argument("--expires", type=when, help="when the request closes (default in 14 days)")
    command(cmds, "withdraw", "withdraw a request (lessee)", withdraw, common).add_argument("request")
    m = command(cmds, "list", "list a machine with its terms (owner)", list_machine, common)
    m.add_argument("token")
    m.add_argument("--kind", required=True)
    m.add_argument("--site", required=True)
    m.add_argument("--period", type=posint, default=DAY, help="rent period in seconds (default a day)")
    m.add_argument("--fixed-rent", type=uint, required=True, help="minor units per period")
    m.add_argument("--usage-rate", type=uint, default=0, help="minor units per machine-hour")
    m.add_argument("--deposit", type=uint, default=0, help="the deposit asked of a lessee without credit")
    m.add_argument("--min-term", type=posint, required=True, help="days")
    m.add_argument("--max-term", type=posint, required=True, help="days")
    command(cmds, "unlist", "take a listing down (owner)", unlist, common).add_argument("listing")
    for name, run, what in (("requests", requests, "requests"), ("listings", listings, "listings")):
        c = command(cmds, name, f"{what}, newest first", run, common)
        c.add_argument("--limit", type=posint, help=f"at most this many {what} (default: all, page by page)")
    c = command(cmds, "match", "the listings ranked for a request, with reasons", match, common)
    c.add_argument("request")
    c.add_argument("--limit", type=posint, default=20)
    p = command(cmds, "propose", "answer a request with a lease offer (owner)", propose, common)
    p.add_argument("request")
    p.add_argument("listing")
    p.add_argument("--start", type=when, default="now")
    p.add_argument("--deposit", type=uint, help="default: the most the deposit policy allows for the lessee")
    p.add_argument("--grace", type=uint, default=0, help="seconds after a period's end a payment is on time")
    p.add_argument("--fee", type=fee, action="append", metavar="ACCOUNT:BPS", help="a fee split (repeatable)")
    p.add_argument("--expires", type=when, help="the lessee must sign before (default a week)")
    market_services.register(cmds, common)
