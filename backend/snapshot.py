"""State snapshots: the canonical bytes a checkpoint commits to, and the state they restore.

A snapshot is the canonical CBOR of :meth:`State.snapshot`; its SHA-256 is the
state digest.  :func:`restore` is the exact inverse, so a ledger started from a
snapshot has the digest of a full replay (a test checks it on every kind of
record).
"""

from __future__ import annotations

import hashlib
from typing import Any

from backend.books import Books, Posting
from backend.errors import BackendError
from backend.marketplace import Market
from backend.seen import SeenReadings
from backend.state import Binding, ChainAnchor, Credit, Enterprise, Invoice, Lease, Payout, State, Token
from backend.tracked import TrackedMap
from chain_client import cbor
from chain_client.credit.book import CreditBook
from chain_client.errors import ProtocolError
from chain_client.ledger.usage import Counter


def encode(state: State) -> bytes:
    """The snapshot bytes of ``state``."""
    return cbor.dumps(state.snapshot())


def digest_of(data: bytes) -> bytes:
    """The state digest a snapshot's bytes stand for."""
    return hashlib.sha256(data).digest()


def _enterprise(d: dict[str, Any]) -> Enterprise:
    return Enterprise(**{**d, "credit": Credit(**d["credit"])})


def _token(d: dict[str, Any]) -> Token:
    return Token(
        **{
            **d,
            "share_events": [tuple(e) for e in d["share_events"]],
            "fee_terms": [tuple(f) for f in d["fee_terms"]],
        }
    )


def _lease(d: dict[str, Any]) -> Lease:
    return Lease(**{**d, "fees": [tuple(f) for f in d["fees"]]})


def _invoice(d: dict[str, Any]) -> Invoice:
    return Invoice(**{**d, "payouts": [Payout(**p) for p in d["payouts"]]})


def restore(data: bytes) -> State:
    """The state whose snapshot bytes are ``data``."""
    # The decoded tree is gone before the state is encoded again: a start holds one copy of the
    # state beside the new one at a time, not two.
    state = _decoded(data)
    if encode(state) != data:
        raise BackendError("the snapshot is not the canonical encoding of the state it holds")
    state.recount()
    return state


def _decoded(data: bytes) -> State:
    """The state ``data`` decodes to, not yet checked to be its canonical encoding."""
    try:
        s = cbor.loads(data, what="state snapshot")
        if s["enterprises"] and "credit_book" not in s:
            raise BackendError(
                "the snapshot predates the credit book (docs/credit.md): the log is replayed instead"
            )
        state = State(
            operator=s["operator"],
            name=s["name"],
            currency=s["currency"],
            reviewers=set(s["reviewers"]),
            enterprises=TrackedMap({k: _enterprise(v) for k, v in s["enterprises"].items()}),
            tokens=TrackedMap({k: _token(v) for k, v in s["tokens"].items()}),
            bindings=TrackedMap({k: Binding(**v) for k, v in s["bindings"].items()}),
            leases=TrackedMap({k: _lease(v) for k, v in s["leases"].items()}),
            invoices=TrackedMap({k: _invoice(v) for k, v in s["invoices"].items()}),
            books=Books(dict(s["balances"]), [Posting(*p) for p in s["journal"]]),
            counters=TrackedMap({k: Counter(*v) for k, v in s["counters"].items()}),
            seen=SeenReadings.restore(s["seen"]),
            readings_verified=s["readings"][0],
            readings_rejected=s["readings"][1],
            anchors={k: ChainAnchor(**v) for k, v in s.get("anchors", {}).items()},
            market=Market.restore(s["market"]) if "market" in s else Market(),
            credit_book=CreditBook.restore(s["credit_book"]) if "credit_book" in s else CreditBook(),
        )
    except (ProtocolError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise BackendError(f"the snapshot does not decode to a state: {exc!r}") from None
    return state
