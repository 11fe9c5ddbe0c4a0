"""Named reasons why the ledger refuses a transaction (docs/ledger.md, 'Rejection reasons').

The string values are stable: clients match on them, so renaming one is a
breaking change.
"""

from __future__ import annotations

from enum import StrEnum


class TxReason(StrEnum):
    """Why a transaction was refused."""

    # envelope and encoding
    BAD_ENCODING = "bad_encoding"
    TOO_LARGE = "too_large"
    UNSUPPORTED_VERSION = "unsupported_version"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_TYPE = "unknown_type"
    BAD_ID = "bad_id"
    BAD_ARGS = "bad_args"
    ID_CONFLICT = "id_conflict"
    WRONG_LEDGER = "wrong_ledger"
    # log bootstrap
    GENESIS_REQUIRED = "genesis_required"
    GENESIS_EXISTS = "genesis_exists"
    # identity, certification and roles
    NOT_OPERATOR = "not_operator"
    NOT_REVIEWER = "not_reviewer"
    NOT_REGISTERED = "not_registered"
    NOT_CERTIFIED = "not_certified"
    ROLE_NOT_ALLOWED = "role_not_allowed"
    ALREADY_REVIEWER = "already_reviewer"
    ALREADY_CERTIFIED = "already_certified"
    NOT_PENDING = "not_pending"
    UNKNOWN_ENTERPRISE = "unknown_enterprise"
    SELF_REVIEW = "self_review"
    SELF_DEPOSIT = "self_deposit"
    ALREADY_REVIEWED = "already_reviewed"
    # tokens and devices
    DUPLICATE_TOKEN = "duplicate_token"  # noqa: S105 - a name, not a secret
    UNKNOWN_TOKEN = "unknown_token"  # noqa: S105 - a name, not a secret
    NOT_OWNER = "not_owner"
    NOT_OWNER_OR_APPROVED = "not_owner_or_approved"
    TOKEN_RETIRED = "token_retired"  # noqa: S105 - a name, not a secret
    BAD_STATUS_TRANSITION = "bad_status_transition"
    DEVICE_IN_USE = "device_in_use"
    DEVICE_ALREADY_BOUND = "device_already_bound"
    NO_ACTIVE_DEVICE = "no_active_device"
    FEES_EXCEED_TERMS = "fees_exceed_terms"
    # money and shares
    INSUFFICIENT_FUNDS = "insufficient_funds"
    NOT_ENOUGH_SHARES = "not_enough_shares"
    # leases and rent
    UNKNOWN_LEASE = "unknown_lease"
    TOKEN_ALREADY_LEASED = "token_already_leased"  # noqa: S105 - a name, not a secret
    LEASE_NOT_PENDING = "lease_not_pending"
    LEASE_NOT_ACTIVE = "lease_not_active"
    OFFER_EXPIRED = "offer_expired"
    OFFER_WITHDRAWN = "offer_withdrawn"
    OFFER_VOID = "offer_void"
    NOT_LESSOR = "not_lessor"
    TOO_MANY_PERIODS = "too_many_periods"
    TOO_MANY_OFFERS = "too_many_offers"
    LEASE_NOT_ENDED = "lease_not_ended"
    NOT_LESSEE = "not_lessee"
    UNPAID_INVOICES = "unpaid_invoices"
    BAD_PERIOD = "bad_period"
    PERIOD_NOT_ENDED = "period_not_ended"
    ALREADY_INVOICED = "already_invoiced"
    EVIDENCE_MISMATCH = "evidence_mismatch"
    UNKNOWN_INVOICE = "unknown_invoice"
    ALREADY_PAID = "already_paid"
    # telemetry anchoring
    BATCH_COUNT_MISMATCH = "batch_count_mismatch"
    BATCH_ROOT_MISMATCH = "batch_root_mismatch"
    BATCH_DUPLICATE_MESSAGE = "batch_duplicate_message"
    BATCH_MESSAGES_MISSING = "batch_messages_missing"
    # state checkpoints
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"
    # on-chain anchors recorded back into the log (docs/chain.md)
    ANCHOR_BEYOND_LOG = "anchor_beyond_log"
    ANCHOR_NOT_NEWER = "anchor_not_newer"
    ANCHOR_ROOT_MISMATCH = "anchor_root_mismatch"
    NOT_ANCHOR_RECORDER = "not_anchor_recorder"
    # the marketplace (docs/market.md)
    UNKNOWN_REQUEST = "unknown_request"
    REQUEST_NOT_OPEN = "request_not_open"
    NOT_REQUESTER = "not_requester"
    TOO_MANY_REQUESTS = "too_many_requests"
    UNKNOWN_LISTING = "unknown_listing"
    LISTING_NOT_ACTIVE = "listing_not_active"
    TOKEN_LISTED = "token_listed"  # noqa: S105 - a name, not a secret
    TOO_MANY_LISTINGS = "too_many_listings"
    KIND_MISMATCH = "kind_mismatch"
    TERM_OUT_OF_RANGE = "term_out_of_range"
    OVER_BUDGET = "over_budget"
    DEPOSIT_ABOVE_POLICY = "deposit_above_policy"
    TOO_MANY_PROPOSALS = "too_many_proposals"
    UNKNOWN_GUARANTEE = "unknown_guarantee"
    TOO_MANY_GUARANTEES = "too_many_guarantees"
    GUARANTEE_LOCKED = "guarantee_locked"
    GUARANTEE_SETTLED = "guarantee_settled"
    UNKNOWN_ORDER = "unknown_order"
    NOT_CLIENT = "not_client"
    NOT_ORDER_SERVICE = "not_order_service"
    ORDER_NOT_OPEN = "order_not_open"
    ORDER_NOT_DUE = "order_not_due"
    TOO_MANY_ORDERS = "too_many_orders"
    BAD_REPORT_SIGNATURE = "bad_report_signature"
    NOT_DELIVERED = "not_delivered"
    ALREADY_RATED = "already_rated"
