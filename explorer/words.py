"""A log entry's transaction in words: "Acme Machines offered lease L to North Bakery: …".

One describer per transaction type, each a sentence built from the arguments and the ledger's
result, with parties by name (``Names``) and machines by model and serial (``machine``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chain_client import human
from chain_client.client import models as m
from chain_client.evm import chain_name
from explorer.market_words import WORDS as MARKET_WORDS
from explorer.names import Names

Machine = Callable[[str], str]  # token id -> "CNC-5 CNC-0001"
Describer = Callable[[Mapping[str, Any], Mapping[str, Any], Names, Machine], str]


def _fees(splits: Any, names: Names) -> str:  # noqa: ANN401 - the JSON fee list
    return names.fees([m.FeeSplit.model_validate(f) for f in splits or []])


def _count(count: int, thing: str) -> str:
    return f"{count:,} {thing}" + ("" if count == 1 else "s")


def _offer(a: Mapping[str, Any], r: Mapping[str, Any], n: Names, machine: Machine) -> str:
    periods = r.get("periods") or max(1, (int(a["end"]) - int(a["start"])) // int(a["period"]))
    text = (
        f"offered lease {r.get('lease', '')} of {machine(a['token'])} to {n.name(a['lessee'])}: "
        f"{_count(int(periods), 'period')} of {human.duration(int(a['period']))} "
        f"from {human.when(a['start'])}, "
        f"{n.money(int(a['fixed_rent']))} per period"
    )
    if a.get("usage_rate"):
        text += f" plus {n.money(int(a['usage_rate']))} per machine-hour"
    text += f"; deposit {n.money(int(a.get('deposit', 0)))}"
    if a.get("fees"):
        text += f"; fees {_fees(a['fees'], n)}"
    return text


def _invoice(a: Mapping[str, Any], r: Mapping[str, Any], n: Names, machine: Machine) -> str:
    amount = r.get("amount")
    text = (
        f"invoiced period {a['period']} of lease {a['lease']}: {human.machine_hours(int(a['usage_seconds']))}"
    )
    if isinstance(amount, int):
        text += f", {n.money(amount)}"
    if isinstance(r.get("evidence_count"), int):
        text += f", resting on {_count(r['evidence_count'], 'verified reading')}"
    return text


def _pay(a: Mapping[str, Any], r: Mapping[str, Any], n: Names, machine: Machine) -> str:
    amount = r.get("paid", r.get("amount"))
    text = f"paid invoice {a['invoice']}"
    if isinstance(amount, int):
        text += f": {n.money(amount)}"
    if "on_time" in r:
        text += ", on time" if r["on_time"] else ", late"
    if isinstance(r.get("payouts"), int):
        text += f", paid out in {_count(r['payouts'], 'line')}"
    return text


def _anchor(a: Mapping[str, Any], r: Mapping[str, Any], n: Names, machine: Machine) -> str:
    text = f"anchored a batch of {_count(int(a['count']), 'signed reading')}"
    if "verified" in r:
        rejected = len(r.get("rejected") or [])
        text += f": {r['verified']} verified, {r.get('duplicates', 0)} duplicates, {rejected} rejected"
    return text


def _review(a: Mapping[str, Any], r: Mapping[str, Any], n: Names, machine: Machine) -> str:
    verb = "approved" if a["decision"] == "approve" else "rejected"
    reason = f" ({a['reason']})" if a.get("reason") else ""
    return f"{verb} {n.name(a['enterprise'])}{reason}"


_WORDS: dict[str, Describer] = {
    "genesis": lambda a, r, n, t: f"started the ledger {a['name']!r}, in {a['currency']}",
    "checkpoint": lambda a, r, n, t: f"committed the state digest at log size {a['size']}",
    "add_reviewer": lambda a, r, n, t: f"made {n.name(a['account'])} a reviewer",
    "register_enterprise": lambda a, r, n, t: (
        f"registered as {a['name']!r}, asking for the roles {', '.join(a['roles'])}"
    ),
    "review_enterprise": _review,
    "review_service": lambda a, r, n, t: f"rated the service {n.name(a['service'])} {a['rating']} of 5",
    "deposit": lambda a, r, n, t: (
        f"recorded a deposit of {n.money(int(a['amount']))} to {n.name(a['account'])} ({a['reference']})"
    ),
    "withdraw": lambda a, r, n, t: f"withdrew {n.money(int(a['amount']))} ({a['reference']})",
    "mint_token": lambda a, r, n, t: (
        f"minted {a['model']} {a['serial']} as {r.get('token', 'a token')}: "
        f"price {n.money(int(a['price']))}, "
        f"{a['shares']} shares at {n.money(int(a['share_price']))}"
    ),
    "approve_token": lambda a, r, n, t: (
        f"approved {n.name(a['spender'])} for {t(a['token'])}"
        if a["spender"]
        else f"cleared the approval of {t(a['token'])}"
    ),
    "transfer_token": lambda a, r, n, t: f"transferred {t(a['token'])} to {n.name(a['to'])}",
    "set_token_status": lambda a, r, n, t: f"set {t(a['token'])} to {a['status']}",
    "set_fee_terms": lambda a, r, n, t: f"set the fee terms of {t(a['token'])} to {_fees(a['fee_terms'], n)}",
    "bind_device": lambda a, r, n, t: (
        f"bound sensor {r.get('device', a['public_key'][:16])} to {t(a['token'])}"
    ),
    "rotate_device": lambda a, r, n, t: f"rotated the sensor of {t(a['token'])} to {r.get('device', '')}",
    "revoke_device": lambda a, r, n, t: f"revoked the sensor of {t(a['token'])} ({a['reason']})",
    "buy_shares": lambda a, r, n, t: f"bought {a['count']} shares of {t(a['token'])}",
    "transfer_shares": lambda a, r, n, t: (
        f"transferred {a['count']} shares of {t(a['token'])} to {n.name(a['to'])}"
    ),
    "offer_lease": _offer,
    "sign_lease": lambda a, r, n, t: f"signed lease {a['lease']}",
    "cancel_offer": lambda a, r, n, t: f"withdrew the offer {a['lease']}",
    "close_lease": lambda a, r, n, t: (
        f"closed lease {a['lease']}"
        + (
            f", returning the deposit of {n.money(int(r['deposit_returned']))}"
            if "deposit_returned" in r
            else ""
        )
    ),
    "issue_invoice": _invoice,
    "pay_invoice": _pay,
    "anchor_batch": _anchor,
    "record_anchor": lambda a, r, n, t: (
        f"recorded that log size {a['size']} is anchored on {chain_name(a['chain_id'])}, "
        f"contract {a['contract']}, block {a['block']}"
    ),
    **MARKET_WORDS,
}


def describe(entry: m.LogEntry, names: Names, machine: Machine) -> str:
    """The entry's transaction as one sentence, its signer by name first."""
    words = _WORDS.get(entry.type)
    signer = names.name(entry.signer)
    if words is None:
        return f"{signer} submitted {entry.type}"
    try:
        return f"{signer} {words(entry.args, entry.result, names, machine)}"
    except (KeyError, TypeError, ValueError):
        # An argument this explorer does not know the shape of: say what it is, never fail the page.
        return f"{signer} submitted {entry.type}"
