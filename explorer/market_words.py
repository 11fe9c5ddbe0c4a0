"""The marketplace's transactions in words, for the explorer's log (see ``explorer.words``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chain_client import human
from explorer.names import Names

Args = Mapping[str, Any]
Words = Callable[[Args, Args, Names, Callable[[str], str]], str]


def _request(a: Args, r: Args, n: Names, t: Callable[[str], str]) -> str:
    specs = "".join(f", {k} {v}" for k, v in sorted(a["specs"].items()))
    return (
        f"asked for a {a['kind']}{specs} at {a['site']} for {human.duration(int(a['term']))}, "
        f"at most {n.money(int(a['budget']))} a month ({r.get('request', '')})"
    )


def _listing(a: Args, r: Args, n: Names, t: Callable[[str], str]) -> str:
    return (
        f"listed {t(a['token'])} as a {a['kind']} at {a['site']}: {n.money(int(a['fixed_rent']))} per "
        f"{human.duration(int(a['period']))}, {n.money(int(a['usage_rate']))} per machine-hour"
    )


WORDS: dict[str, Words] = {
    "post_request": _request,
    "withdraw_request": lambda a, r, n, t: f"withdrew the request {a['request']}",
    "list_machine": _listing,
    "unlist": lambda a, r, n, t: f"took the listing {a['listing']} down",
    "propose": lambda a, r, n, t: (
        f"answered the request {a['request']} with the offer {r.get('lease', '')} on {a['listing']}, "
        f"deposit {n.money(int(a['deposit']))}"
    ),
    "post_guarantee": lambda a, r, n, t: (
        f"put a {a['kind']} guarantee of {n.money(int(a['amount']))} on {t(a['token'])} in escrow"
    ),
    "settle_guarantee": lambda a, r, n, t: (
        f"settled the guarantee {a['guarantee']}: "
        f"{r.get('status', '')} to {n.name(str(r.get('paid_to', '')))}"
    ),
    "engage_service": lambda a, r, n, t: (
        f"engaged {n.name(a['service'])} for {a['scope']!r} on {a['subject']}, fee {n.money(int(a['fee']))}"
    ),
    "deliver_report": lambda a, r, n, t: f"delivered a signed report for {a['order']}",
    "cancel_service": lambda a, r, n, t: f"cancelled the overdue order {a['order']}",
    "rate_service": lambda a, r, n, t: f"rated the order {a['order']} {a['rating']} of 5",
}
