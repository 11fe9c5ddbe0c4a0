"""The marketplace's transactions for every role (docs/market.md): builders and client methods.

Each builder takes a :class:`~chain_client.client.transactions.TxBuilder` and returns the signed
bytes; :class:`MarketActions` gives the sync and the async client one method per builder.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from typing import TypeVar

from chain_client.client.actions import Actions, _action
from chain_client.client.transactions import OFFER_LIFETIME, SignedTx, TxBuilder
from chain_client.ledger.ids import lease_id
from chain_client.ledger.schema import TxType
from chain_client.market.ids import GUARANTEE, LISTING, ORDER, REQUEST, derived_id
from chain_client.market.report import sign_report

R = TypeVar("R")
REQUEST_LIFETIME = 14 * 86_400  # seconds a request stays open unless told otherwise


def post_request(
    tx: TxBuilder,
    kind: str,
    *,
    site: str,
    start: int,
    term: int,
    budget: int,
    hours: int,
    specs: Mapping[str, str] | None = None,
    expires: int | None = None,
    tx_id: str | None = None,
) -> SignedTx:
    """Lessee: post a need — ``budget`` a month (30 days), ``hours`` expected machine-hours a month."""
    args = {
        "kind": kind,
        "specs": dict(specs or {}),
        "site": site,
        "start": start,
        "term": term,
        "budget": budget,
        "hours": hours,
        "expires": expires if expires is not None else int(time.time()) + REQUEST_LIFETIME,
    }
    return tx.build(TxType.POST_REQUEST, args, tx_id)


def withdraw_request(tx: TxBuilder, request: str, *, tx_id: str | None = None) -> SignedTx:
    """Lessee: withdraw an open request; its pending proposals are voided."""
    return tx.build(TxType.WITHDRAW_REQUEST, {"request": request}, tx_id)


def list_machine(
    tx: TxBuilder,
    token: str,
    *,
    kind: str,
    site: str,
    period: int,
    fixed_rent: int,
    usage_rate: int = 0,
    deposit: int = 0,
    min_term: int,
    max_term: int,
    tx_id: str | None = None,
) -> SignedTx:
    """Owner: list a token with its terms (rent per ``period``, usage rate per machine-hour)."""
    args = {
        "token": token,
        "kind": kind,
        "site": site,
        "period": period,
        "fixed_rent": fixed_rent,
        "usage_rate": usage_rate,
        "deposit": deposit,
        "min_term": min_term,
        "max_term": max_term,
    }
    return tx.build(TxType.LIST_MACHINE, args, tx_id)


def unlist(tx: TxBuilder, listing: str, *, tx_id: str | None = None) -> SignedTx:
    """Owner: take a listing down."""
    return tx.build(TxType.UNLIST, {"listing": listing}, tx_id)


def propose(
    tx: TxBuilder,
    request: str,
    listing: str,
    *,
    start: int,
    deposit: int,
    grace: int = 0,
    fees: Sequence[tuple[str, int]] = (),
    expires: int | None = None,
    tx_id: str | None = None,
) -> SignedTx:
    """Owner: answer a request with a lease offer on the listing's terms, for the lessee to sign.

    ``expires`` defaults to a week from now; the ledger wants it at most the lease's end
    (``start`` + the request's term), so pass it for a shorter term.
    """
    args = {
        "request": request,
        "listing": listing,
        "start": start,
        "deposit": deposit,
        "grace": grace,
        "fees": [{"account": a, "bps": b} for a, b in fees],
        "expires": expires if expires is not None else int(time.time()) + OFFER_LIFETIME,
    }
    return tx.build(TxType.PROPOSE, args, tx_id)


def post_guarantee(
    tx: TxBuilder, token: str, kind: str, amount: int, until: int, *, tx_id: str | None = None
) -> SignedTx:
    """Manufacturer: put a ``security`` or ``salvage`` guarantee on a token in escrow until ``until``."""
    return tx.build(
        TxType.POST_GUARANTEE, {"token": token, "kind": kind, "amount": amount, "until": until}, tx_id
    )


def settle_guarantee(tx: TxBuilder, guarantee: str, *, tx_id: str | None = None) -> SignedTx:
    """Anyone certified: settle a guarantee by its rule (claimed by the owner, or released at its end)."""
    return tx.build(TxType.SETTLE_GUARANTEE, {"guarantee": guarantee}, tx_id)


def engage_service(
    tx: TxBuilder, service: str, subject: str, scope: str, fee: int, due: int, *, tx_id: str | None = None
) -> SignedTx:
    """Client: engage a certified service on a token or lease; the fee waits in escrow for the report."""
    args = {"service": service, "subject": subject, "scope": scope, "fee": fee, "due": due}
    return tx.build(TxType.ENGAGE_SERVICE, args, tx_id)


def deliver_report(tx: TxBuilder, order: str, document: bytes, *, tx_id: str | None = None) -> SignedTx:
    """Service: deliver the report ``document`` (its SHA-256 and the service's signature go on the ledger)."""
    digest = hashlib.sha256(document).digest()
    args = {"order": order, "report": digest, "signature": sign_report(tx.key, order, digest)}
    return tx.build(TxType.DELIVER_REPORT, args, tx_id)


def cancel_service(tx: TxBuilder, order: str, *, tx_id: str | None = None) -> SignedTx:
    """Client: cancel an order not delivered by its due time; the fee comes back."""
    return tx.build(TxType.CANCEL_SERVICE, {"order": order}, tx_id)


def rate_service(
    tx: TxBuilder, order: str, rating: int, comment: str = "", *, tx_id: str | None = None
) -> SignedTx:
    """Client: rate a delivered order, 1 to 5, once."""
    return tx.build(TxType.RATE_SERVICE, {"order": order, "rating": rating, "comment": comment}, tx_id)


def created_id(signed: SignedTx, signer: str) -> str:
    """The id of what ``signed`` creates once accepted (request, listing, lease, guarantee or order)."""
    prefixes = {
        TxType.POST_REQUEST: REQUEST,
        TxType.LIST_MACHINE: LISTING,
        TxType.POST_GUARANTEE: GUARANTEE,
        TxType.ENGAGE_SERVICE: ORDER,
    }
    if signed.type is TxType.PROPOSE:
        return lease_id(signer, signed.id)
    return derived_id(prefixes[signed.type], signer, signed.id)


class MarketActions(Actions[R]):
    """The marketplace's transactions as client methods."""

    post_request = _action(post_request)
    withdraw_request = _action(withdraw_request)
    list_machine = _action(list_machine)
    unlist = _action(unlist)
    propose = _action(propose)
    post_guarantee = _action(post_guarantee)
    settle_guarantee = _action(settle_guarantee)
    engage_service = _action(engage_service)
    deliver_report = _action(deliver_report)
    cancel_service = _action(cancel_service)
    rate_service = _action(rate_service)
