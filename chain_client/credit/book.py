"""The credit book: a fold over accepted log entries into each enterprise's credit facts.

The ledger feeds it every entry it accepts (and the readings it judged verified); the CLI and the
offline auditor feed it the entries they read from the log (and the readings they judged
themselves, :mod:`chain_client.credit.replay`). The same entries give the same facts, so the same
score, wherever it is computed. Only accepted entries are in the log, so the book trusts their
rules were checked; it keeps only what the score reads (docs/credit.md, 'Inputs').
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chain_client.credit.facts import GuaranteeFact, InvoiceFact, LeaseFact, Party, RatingFact, plain
from chain_client.ledger.due import due_date
from chain_client.ledger.ids import invoice_id, lease_id
from chain_client.ledger.transaction import Transaction
from chain_client.ledger.usage import usage_charge
from chain_client.market.ids import GUARANTEE, LISTING, ORDER, REQUEST, derived_id

HOUR = 3600


@dataclass
class CreditBook:
    """Credit facts of every enterprise, and the few records needed to attribute them."""

    parties: dict[str, Party] = field(default_factory=dict)
    leases: dict[str, LeaseFact] = field(default_factory=dict)
    invoices: dict[str, InvoiceFact] = field(default_factory=dict)
    guarantees: dict[str, GuaranteeFact] = field(default_factory=dict)
    listings: dict[str, list[Any]] = field(default_factory=dict)  # id -> [token, period, fixed, rate]
    requests: dict[str, list[Any]] = field(default_factory=dict)  # id -> [lessee, term]
    orders: dict[str, str] = field(default_factory=dict)  # order id -> service
    running: dict[str, str] = field(default_factory=dict)  # token -> its active lease
    time: int = 0  # ledger time of the last entry folded in

    def party(self, account: str) -> Party:
        """The facts of ``account`` (created empty)."""
        return self.parties.setdefault(account, Party())

    def apply(self, time: int, tx: Transaction) -> None:
        """Fold in one accepted entry's transaction at ledger ``time``."""
        self.time = max(self.time, time)
        handler = _FOLD.get(tx.type)
        if handler is not None:
            handler(self, time, tx.signer, tx.id, tx.args)

    def reading(self, token: str, stamp: int) -> None:
        """A verified reading of ``token``'s device stamped at ``stamp``: it covers its hour."""
        lid = self.running.get(token)
        if not lid:
            return
        found = self.leases[lid]
        slot = stamp // HOUR
        if not max(found.start, found.signed_at) <= slot * HOUR < (slot + 1) * HOUR <= found.end:
            return
        # Readings mostly come in time order: the slot is usually the last one or a new last one.
        at = bisect.bisect_left(found.covered, slot)
        if at == len(found.covered) or found.covered[at] != slot:
            found.covered.insert(at, slot)

    def snapshot(self) -> dict[str, Any]:
        """Plain, canonical-CBOR-encodable form."""
        return {
            k: plain(v) if k in ("time", "orders", "running") else _records(v) for k, v in vars(self).items()
        }

    @classmethod
    def restore(cls, data: dict[str, Any]) -> CreditBook:
        """The inverse of :meth:`snapshot`."""
        parties = {
            k: Party(**{**v, "ratings": [RatingFact(**r) for r in v["ratings"]]})
            for k, v in data["parties"].items()
        }
        return cls(
            parties=parties,
            leases={k: LeaseFact(**v) for k, v in data["leases"].items()},
            invoices={k: InvoiceFact(**v) for k, v in data["invoices"].items()},
            guarantees={k: GuaranteeFact(**v) for k, v in data["guarantees"].items()},
            listings={k: list(v) for k, v in data["listings"].items()},
            requests={k: list(v) for k, v in data["requests"].items()},
            orders=dict(data["orders"]),
            running=dict(data["running"]),
            time=data["time"],
        )


def _records(mapping: dict[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in mapping.items()}


Args = Mapping[str, Any]


def _genesis(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    book.party(signer).certified_at = time


def _review(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    if args["decision"] == "approve":
        book.party(args["enterprise"]).certified_at = time


def _offer(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    lid = lease_id(signer, tx_id)
    book.leases[lid] = LeaseFact(
        lid,
        args["token"],
        args["lessee"],
        args["start"],
        args["end"],
        args["period"],
        args["fixed_rent"],
        args["usage_rate"],
        args["grace"],
        args["deposit"],
    )


def _list(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    book.listings[derived_id(LISTING, signer, tx_id)] = [
        args["token"],
        args["period"],
        args["fixed_rent"],
        args["usage_rate"],
    ]


def _request(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    book.requests[derived_id(REQUEST, signer, tx_id)] = [signer, args["term"]]


def _propose(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    token, period, fixed, rate = book.listings[args["listing"]]
    lessee, term = book.requests[args["request"]]
    lid = lease_id(signer, tx_id)
    start = args["start"]
    book.leases[lid] = LeaseFact(
        lid, token, lessee, start, start + term, period, fixed, rate, args["grace"], args["deposit"]
    )


def _sign(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    found = book.leases[args["lease"]]
    found.signed_at = time
    book.running[found.token] = found.id
    book.party(found.lessee).leases.append(found.id)


def _close(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    found = book.leases[args["lease"]]
    found.closed_at = time
    found.covered_count = len(found.covered)
    found.covered = []
    book.running.pop(found.token, None)


def _issue(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    found = book.leases[args["lease"]]
    period = args["period"]
    end = found.start + (period + 1) * found.period
    iid = invoice_id(found.id, period)
    amount = found.fixed_rent + usage_charge(found.usage_rate, args["usage_seconds"])
    due = due_date(end, found.grace, time, by_lessee=signer == found.lessee)
    book.invoices[iid] = InvoiceFact(iid, found.id, found.lessee, amount, due)
    book.party(found.lessee).invoices.append(iid)


def _pay(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    book.invoices[args["invoice"]].paid_at = time


def _guarantee(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    gid = derived_id(GUARANTEE, signer, tx_id)
    book.guarantees[gid] = GuaranteeFact(gid, signer, args["amount"])
    book.party(signer).guarantees.append(gid)


def _settle(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    book.guarantees[args["guarantee"]].settled_at = time


def _engage(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    book.orders[derived_id(ORDER, signer, tx_id)] = args["service"]


def _rate(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    service = book.orders[args["order"]]
    book.party(service).ratings.append(RatingFact(service, signer, args["rating"], time, args["order"]))


def _review_service(book: CreditBook, time: int, signer: str, tx_id: str, args: Args) -> None:
    service = args["service"]
    book.party(service).ratings.append(RatingFact(service, signer, args["rating"], time, ""))


_FOLD = {
    "genesis": _genesis,
    "review_enterprise": _review,
    "offer_lease": _offer,
    "list_machine": _list,
    "post_request": _request,
    "propose": _propose,
    "sign_lease": _sign,
    "close_lease": _close,
    "issue_invoice": _issue,
    "pay_invoice": _pay,
    "post_guarantee": _guarantee,
    "settle_guarantee": _settle,
    "engage_service": _engage,
    "rate_service": _rate,
    "review_service": _review_service,
}
