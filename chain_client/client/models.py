"""Typed models of what the ledger's HTTP API returns (docs/ledger.md, 'HTTP API').

Pydantic models at the boundary: the JSON the backend serves is validated on
arrival, and unknown fields are ignored so a newer backend does not break an
older client.  Amounts are integers in minor units, times Unix seconds,
accounts 64 lowercase hex digits, bytes lowercase hex.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    """Base of the API models: immutable, tolerant of extra fields."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Info(Model):
    """``GET /v1/info``: the log key, platform name, currency and log size."""

    log_key: str
    name: str
    currency: str
    size: int
    origin: str = ""  # the checkpoint origin (c2sp.org/tlog-checkpoint)
    vkey: str = ""  # the log's note verifier key, which signs /checkpoint


class Stats(Model):
    """``GET /v1/stats``: the ledger's totals, kept as the log grows (amounts in minor units)."""

    size: int
    enterprises: int
    machines: int  # equipment tokens minted
    leases: int  # every lease offered, whatever its status
    active_leases: int
    invoices: int
    rent_paid: int  # the sum of the paid invoices
    readings_verified: int
    readings_rejected: int


class AnchorOutcome(Model):
    """The result of an ``anchor_batch``: how each message was judged."""

    batch: int
    batch_id: str
    count: int
    verified: int
    duplicates: int
    rejected: list[dict[str, Any]] = Field(default_factory=list)


class TxResult(Model):
    """The answer to an accepted (or duplicate) submission."""

    status: str  # accepted | duplicate
    index: int
    id: str
    type: str
    signer: str
    time: int
    leaf_hash: str
    result: dict[str, Any] = Field(default_factory=dict)

    def _field(self, name: str) -> str:
        value = self.result.get(name)
        if not isinstance(value, str):
            raise KeyError(f"{self.type} result has no {name!r}: {self.result}")
        return value

    @property
    def token(self) -> str:
        """The token a token, device or share transaction acted on (``mint_token`` gives the new id)."""
        return self._field("token")

    @property
    def lease(self) -> str:
        """The lease id of ``offer_lease``, ``sign_lease`` or ``close_lease``."""
        return self._field("lease")

    @property
    def invoice(self) -> str:
        """The invoice id of ``issue_invoice`` or ``pay_invoice``."""
        return self._field("invoice")

    @property
    def device(self) -> str:
        """The device id bound by ``bind_device`` or ``rotate_device``."""
        return self._field("device")

    @property
    def anchor(self) -> AnchorOutcome:
        """The per-message verdicts of ``anchor_batch``."""
        return AnchorOutcome.model_validate(self.result)


class Credit(Model):
    """An enterprise's credit record."""

    certified_at: int
    rejections: int
    on_time_payments: int
    late_payments: int
    completed_leases: int
    reviews_received: int
    rating_sum: int
    mean_rating: float | None = None


class Enterprise(Model):
    """A registered enterprise, its certification and credit record."""

    account: str
    name: str
    roles: list[str]
    info: dict[str, str]
    status: str  # pending | approved | rejected
    registered_at: int
    review_reason: str = ""
    reviewed_by: str = ""
    credit: Credit
    reviews_given: list[str] = Field(default_factory=list)


class DeviceBinding(Model):
    """A device key bound to a token (one row of a gateway's registry)."""

    device: str
    public_key: str
    token: str
    bound_at: int
    status: str  # active | rotated | revoked
    ended_at: int = 0
    reason: str = ""


class DeviceRegistry(Model):
    """``GET /v1/devices``: every binding ever made, at a log size."""

    size: int
    devices: list[DeviceBinding]


class FeeSplit(Model):
    """A fee taken from each rent payment, in basis points."""

    account: str
    bps: int


class Token(Model):
    """An equipment token: owner, approval, user, status, devices and shares."""

    id: str
    manufacturer: str
    serial: str
    model: str
    specs: dict[str, str]
    price: int
    salvage_value: int
    total_shares: int
    share_price: int
    shares_for_sale: int
    owner: str
    approved: str
    status: str
    user: str
    user_expires: int
    lease: str
    minted_at: int
    devices: list[DeviceBinding]
    fee_terms: list[FeeSplit] = Field(default_factory=list)
    offers: list[str] = Field(default_factory=list)


class Holders(Model):
    """Share holders of a token."""

    token: str
    total_shares: int
    holders: dict[str, int]


class Usage(Model):
    """Verified run-seconds of a token stamped in ``[start, end)``."""

    token: str
    start: int
    end: int
    run_seconds: int


class Payout(Model):
    """One payout line of an invoice: a fee (basis in bps) or a holder's share (basis in shares)."""

    account: str
    kind: str  # fee | share
    amount: int
    basis: int


class Invoice(Model):
    """Rent for one period of a lease, with its holder snapshot and payout lines."""

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
    evidence: str = ""  # hex digest of the readings behind usage_seconds (docs/ledger.md)
    paid_at: int = 0
    on_time: bool = False
    payouts: list[Payout] = Field(default_factory=list)


class PeriodEvidence(Model):
    """What an invoice of an ended period must name: its usage and the digest of the readings behind it."""

    lease: str
    period: int
    start: int
    end: int
    usage_seconds: int
    count: int
    evidence: str  # hex


class Lease(Model):
    """A lease of a token and its invoices."""

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
    fees: list[FeeSplit]
    offered_at: int
    expires: int = 0
    status: str  # pending | active | closed | withdrawn | void | expired
    signed_at: int = 0
    closed_at: int = 0
    ended_at: int = 0
    end_reason: str = ""
    invoices: list[Invoice] = Field(default_factory=list)
    periods: int


class Balance(Model):
    """The balance of one ledger account."""

    account: str
    balance: int


class Posting(Model):
    """One journal line: ``amount`` moves from ``debit`` to ``credit`` at log ``index``."""

    index: int
    debit: str
    credit: str
    amount: int
    memo: str


class Journal(Model):
    """The postings of one ledger account."""

    account: str
    postings: list[Posting]


class PayoutLine(Model):
    """A payout received by an account from one invoice."""

    invoice: str
    kind: str
    amount: int
    basis: int


class Payouts(Model):
    """Every payout line an account received."""

    account: str
    payouts: list[PayoutLine]


class AnchoredBatch(Model):
    """An anchored batch: its entry's root and count, and the messages they commit to (hex, leaf order)."""

    index: int
    batch_id: str
    gateway: str
    root: str
    count: int
    messages: list[str]


class TelemetryReading(Model):
    """A stored device message with its decoded fields and the ledger's verdict."""

    batch: int
    position: int
    device: str
    token: str
    kind: str
    boot: int
    seq: int
    time: int
    synced: bool
    stamp: int
    status: str  # verified | duplicate | rejected
    reason: str
    run_seconds: int
    increment: int
    readings: dict[str, int]
    message: str


class LogEntry(Model):
    """One log entry, decoded (the ``entry`` hex is the exact leaf)."""

    index: int
    time: int
    leaf_hash: str
    entry: str
    type: str
    id: str
    signer: str
    args: dict[str, Any]
    result: dict[str, Any]


class RawEntry(Model):
    """One raw log entry in hex."""

    index: int
    entry: str


class InclusionProof(Model):
    """RFC 9162 inclusion proof of one entry."""

    leaf_index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]


class ConsistencyProof(Model):
    """RFC 9162 consistency proof between two tree sizes."""

    first: int
    second: int
    proof: list[str]


class StateDigest(Model):
    """The state digest at a tree size."""

    tree_size: int
    state_digest: str


class RecordedAnchor(Model):
    """``GET /v1/anchors``: the newest on-chain anchor recorded for one chain and contract."""

    chain_id: int
    contract: str
    recorder: str
    size: int
    root: str
    cosignatures: int
    tx_hash: str
    block: int
    recorded_at: int
    count: int


class Refusal(Model):
    """A refused submission: its reason (docs/ledger.md, 'Reason codes') and one sentence of detail."""

    status: str  # rejected
    reason: str
    detail: str


class BatchResults(Model):
    """``POST /v1/transactions/batch``: each transaction's outcome, in order."""

    results: list[TxResult | Refusal]


class RawEntries(Model):
    """``GET /v1/log/entries``: raw log entries in hex, in index order."""

    entries: list[RawEntry]


class SignedTreeHead(Model):
    """``GET /v1/log/tree-head``: the latest tree head signed by the log key (bytes in hex)."""

    tree_size: int
    root_hash: str
    timestamp: int
    public_key: str
    signature: str


class BatchPath(Model):
    """A message's place in its batch: its position, the batch size and root, and its audit path."""

    index: int
    size: int
    root: str
    audit_path: list[str]


class EntryPath(Model):
    """A batch's entry in the log: its index, the exact entry (hex) and its audit path."""

    index: int
    entry: str
    audit_path: list[str]


class ReadingProof(Model):
    """``GET /v1/telemetry/{batch}/{position}/proof``: a message proved into a signed tree head."""

    message: str
    status: str
    reason: str
    batch: BatchPath
    log: EntryPath
    tree_head: SignedTreeHead


class Health(Model):
    """``GET /healthz``: the process answers."""

    status: str  # ok


class Readiness(Model):
    """``GET /readyz``: the log is loaded, the writer runs and the database answers."""

    status: str  # ready
    tree_size: int


class Readings(Model):
    """``GET /v1/telemetry``: a page of stored device messages, in stamp order."""

    readings: list[TelemetryReading]
