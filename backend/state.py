"""The ledger's state: every entity the log has created, as plain mutable records.

The state is a deterministic function of the log.  :meth:`State.digest`
hashes a canonical encoding of all of it, so two replays of the same log
give the same digest and any divergence shows.  Nothing here grows with the
number of readings: the readings and their usage increments live in the
database (:class:`backend.readings.StoredReadings`), exactly-once is kept as
ranges per device and boot (:class:`backend.seen.SeenReadings`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend.books import Books, Posting
from backend.marketplace import Market
from backend.seen import SeenReadings
from backend.tracked import TrackedMap, read_items
from chain_client import cbor
from chain_client.credit.book import CreditBook
from chain_client.ledger.holders import holders_at
from chain_client.ledger.usage import Counter


@dataclass
class Credit:
    """An enterprise's credit record."""

    certified_at: int = 0
    rejections: int = 0
    on_time_payments: int = 0
    late_payments: int = 0
    completed_leases: int = 0
    reviews_received: int = 0
    rating_sum: int = 0


@dataclass
class Enterprise:
    """A registered enterprise and its certification."""

    account: str
    name: str
    roles: list[str]
    info: dict[str, str]
    status: str  # pending | approved | rejected
    registered_at: int
    review_reason: str = ""
    reviewed_by: str = ""
    credit: Credit = field(default_factory=Credit)
    reviews_given: list[str] = field(default_factory=list)


@dataclass
class Binding:
    """A device key bound to a token."""

    device: str
    public_key: bytes
    token: str
    bound_at: int
    status: str = "active"  # active | rotated | revoked
    ended_at: int = 0
    reason: str = ""


@dataclass
class Token:
    """An equipment token (ERC-721 owner and approval, ERC-4907 user) and its shares."""

    id: str
    manufacturer: str
    serial: str
    model: str
    specs: dict[str, str]
    price: int
    salvage_value: int
    total_shares: int
    share_price: int
    owner: str
    minted_at: int
    status: str = "warehoused"
    approved: str = ""
    user: str = ""
    user_expires: int = 0
    lease: str = ""
    devices: list[str] = field(default_factory=list)
    holdings: dict[str, int] = field(default_factory=dict)
    share_events: list[tuple[int, str, int]] = field(default_factory=list)
    # (account, most bps per payment): the fees investors bought into; only ever lowered.
    fee_terms: list[tuple[str, int]] = field(default_factory=list)
    offers: list[str] = field(default_factory=list)  # pending lease offers, oldest first

    def holdings_at(self, time: int) -> dict[str, int]:
        """Shares each account held at ``time`` (chain_client.ledger.holders: the minting if earlier)."""
        return holders_at(self.share_events, time, self.minted_at)


@dataclass
class Payout:
    """One line of a distribution."""

    account: str
    kind: str  # fee | share
    amount: int
    basis: int  # bps for a fee, shares for a holder


@dataclass
class Invoice:
    """Rent for one period of a lease."""

    id: str
    lease: str
    period: int
    start: int
    end: int
    due: int
    fixed: int
    usage_seconds: int
    usage_charge: int
    amount: int
    holders: dict[str, int]
    issued_at: int
    evidence: bytes  # the digest the signed issue_invoice names (chain_client.ledger.evidence)
    paid_at: int = 0
    on_time: bool = False
    payouts: list[Payout] = field(default_factory=list)


@dataclass
class Lease:
    """A tripartite lease of a token."""

    id: str
    token: str
    lessor: str
    lessee: str
    start: int
    end: int
    period: int
    fixed_rent: int
    usage_rate: int
    deposit: int
    grace: int
    fees: list[tuple[str, int]]
    offered_at: int
    expires: int
    status: str = "pending"  # pending | active | closed | withdrawn | void
    signed_at: int = 0
    closed_at: int = 0
    ended_at: int = 0  # when a pending offer was withdrawn or voided
    end_reason: str = ""
    invoices: dict[int, str] = field(default_factory=dict)

    @property
    def periods(self) -> int:
        """Number of rent periods."""
        return (self.end - self.start) // self.period


def posting_row(posting: Posting) -> tuple[Any, ...]:
    """A journal line in the snapshot."""
    return tuple(vars(posting).values())


# The record maps of the state and each record's plain form in the snapshot.
RECORDS: dict[str, Callable[[Any], Any]] = {
    "enterprises": lambda v: {**vars(v), "credit": vars(v.credit)},
    "tokens": vars,
    "bindings": vars,
    "leases": vars,
    "invoices": lambda v: {**vars(v), "payouts": [vars(p) for p in v.payouts]},
    "counters": lambda v: tuple(vars(v).values()),
}


@dataclass
class ChainAnchor:
    """The newest checkpoint anchored on one EVM chain's contract, as its recorder reported it."""

    chain_id: int
    contract: str
    recorder: str  # the only account that records anchors of this contract
    size: int
    root: bytes
    cosignatures: int
    tx_hash: bytes
    block: int
    recorded_at: int
    count: int = 1


@dataclass
class State:
    """Everything the log has established."""

    operator: str = ""
    name: str = ""
    currency: str = ""
    reviewers: set[str] = field(default_factory=set)
    enterprises: dict[str, Enterprise] = field(default_factory=TrackedMap)
    tokens: dict[str, Token] = field(default_factory=TrackedMap)
    bindings: dict[str, Binding] = field(default_factory=TrackedMap)
    leases: dict[str, Lease] = field(default_factory=TrackedMap)
    invoices: dict[str, Invoice] = field(default_factory=TrackedMap)
    books: Books = field(default_factory=Books)
    counters: dict[str, Counter] = field(default_factory=TrackedMap)
    seen: SeenReadings = field(default_factory=SeenReadings)
    readings_verified: int = 0
    readings_rejected: int = 0
    # Kept as the records change, for GET /v1/stats; not in the snapshot (they follow from the
    # leases and invoices, and are recounted from them on restore: :meth:`recount`).
    active_leases: int = 0
    rent_paid: int = 0
    anchors: dict[str, ChainAnchor] = field(default_factory=dict)  # by "<chain id>:<contract>"
    market: Market = field(default_factory=Market)
    credit_book: CreditBook = field(default_factory=CreditBook)

    def recount(self) -> None:
        """Set the totals kept outside the snapshot from the records (once, when a state is restored)."""
        self.active_leases = sum(1 for _, lease in read_items(self.leases) if lease.status == "active")
        self.rent_paid = sum(i.amount for _, i in read_items(self.invoices) if i.paid_at)

    def snapshot(self) -> dict[str, Any]:
        """Plain, canonical-CBOR-encodable form of the whole state.

        The records' own attribute maps, not copies (``dataclasses.asdict`` deep-copies and costs
        most of a digest): the result is only read, to be encoded, and must not be kept.
        """
        records = {
            name: {k: plain(v) for k, v in read_items(getattr(self, name))} for name, plain in RECORDS.items()
        }
        return {
            **self.small_sections(),
            **records,
            "journal": [posting_row(p) for p in self.books.journal],
            "seen": self.seen.snapshot(),
        }

    def small_sections(self) -> dict[str, Any]:
        """The sections of :meth:`snapshot` other than the record maps, the journal and ``seen``
        (which :class:`backend.digest.StateDigest` keeps encoded record by record)."""
        plain = {
            "operator": self.operator,
            "name": self.name,
            "currency": self.currency,
            "reviewers": sorted(self.reviewers),
            "balances": dict(self.books.balances),
            "readings": [self.readings_verified, self.readings_rejected],
            # Present only once an anchor is recorded, so the digests of logs without one stay as they were.
            **({"anchors": {k: vars(v) for k, v in self.anchors.items()}} if self.anchors else {}),
        }
        # The market only once it holds a record, so a log without one keeps the digest it had; the
        # credit book holds every certified enterprise from the genesis on (docs/credit.md, 'Choices').
        if not self.market.empty():
            plain["market"] = self.market.snapshot()
        if self.credit_book.parties:
            plain["credit_book"] = self.credit_book.snapshot()
        return plain

    def digest(self) -> bytes:
        """SHA-256 of the canonical CBOR encoding of :meth:`snapshot`."""
        return hashlib.sha256(cbor.dumps(self.snapshot())).digest()

    def digest_before_credit_book(self) -> bytes | None:
        """The digest as releases before the credit book wrote it into checkpoints, or None.

        Those releases had no market, so only a state without one has this second digest: it is the
        digest of :meth:`snapshot` without the ``credit_book`` section (docs/backend.md, 'Upgrading').
        """
        if not self.market.empty():
            return None
        plain = self.snapshot()
        plain.pop("credit_book", None)
        return hashlib.sha256(cbor.dumps(plain)).digest()
