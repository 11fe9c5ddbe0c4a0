"""Transaction types and the shape of their arguments (docs/ledger.md, 'Transaction types').

Each type lists its argument names and kinds; :func:`check_args` validates a
decoded ``args`` map against it and names the offending key and value.  The
rules that need ledger state (who may act, balances, ...) are the backend's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

from chain_client.ledger.errors import TransactionError
from chain_client.ledger.reasons import TxReason

MAX_I63 = 2**63 - 1
MAX_TEXT = 200
MAX_MAP_ENTRIES = 32
MAX_FEES = 8
MAX_MESSAGES = 20_000
BPS_TOTAL = 10_000
# A lease's cost (its invoices, the check that all are paid) follows its number of periods:
# ten years of daily periods is the most a lease may have.
MAX_LEASE_PERIODS = 3_660
# Open offers per token: a transfer or a status change voids them all, so their number is bounded.
MAX_OPEN_OFFERS = 16
# The marketplace's bounds (docs/market.md, 'Bounds'): what one party may hold open at a time.
MAX_OPEN_REQUESTS = 16
MAX_OPEN_LISTINGS = 64
MAX_PROPOSALS = 16
MAX_OPEN_ORDERS = 32
MAX_GUARANTEES = 4
# From this ledger time on (2026-12-07 00:00 UTC), review_service needs a delivered order of the reviewer
# with the service; entries stamped before it apply as they always did, so older logs still replay.
REVIEW_NEEDS_DELIVERY_FROM = 1_796_601_600
MAX_HOURS_PER_MONTH = 744  # every hour of a 31-day month
GUARANTEE_KINDS = ("security", "salvage")
ACCOUNT_RE = re.compile(r"[0-9a-f]{64}")
REF_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
EVM_ADDRESS_RE = re.compile(r"0x[0-9a-f]{40}")


class TxType(StrEnum):
    """Every transaction type the ledger accepts."""

    GENESIS = "genesis"
    ADD_REVIEWER = "add_reviewer"
    REGISTER_ENTERPRISE = "register_enterprise"
    REVIEW_ENTERPRISE = "review_enterprise"
    REVIEW_SERVICE = "review_service"
    DEPOSIT = "deposit"
    WITHDRAW = "withdraw"
    MINT_TOKEN = "mint_token"  # noqa: S105 - a name, not a secret
    APPROVE_TOKEN = "approve_token"  # noqa: S105 - a name, not a secret
    TRANSFER_TOKEN = "transfer_token"  # noqa: S105 - a name, not a secret
    SET_TOKEN_STATUS = "set_token_status"  # noqa: S105 - a name, not a secret
    SET_FEE_TERMS = "set_fee_terms"
    BIND_DEVICE = "bind_device"
    ROTATE_DEVICE = "rotate_device"
    REVOKE_DEVICE = "revoke_device"
    BUY_SHARES = "buy_shares"
    TRANSFER_SHARES = "transfer_shares"
    OFFER_LEASE = "offer_lease"
    SIGN_LEASE = "sign_lease"
    CANCEL_OFFER = "cancel_offer"
    CLOSE_LEASE = "close_lease"
    ISSUE_INVOICE = "issue_invoice"
    PAY_INVOICE = "pay_invoice"
    ANCHOR_BATCH = "anchor_batch"
    CHECKPOINT = "checkpoint"
    RECORD_ANCHOR = "record_anchor"
    # the marketplace (docs/market.md)
    POST_REQUEST = "post_request"
    WITHDRAW_REQUEST = "withdraw_request"
    LIST_MACHINE = "list_machine"
    UNLIST = "unlist"
    PROPOSE = "propose"
    POST_GUARANTEE = "post_guarantee"
    SETTLE_GUARANTEE = "settle_guarantee"
    ENGAGE_SERVICE = "engage_service"
    DELIVER_REPORT = "deliver_report"
    CANCEL_SERVICE = "cancel_service"
    RATE_SERVICE = "rate_service"


class Role(StrEnum):
    """Roles an enterprise can hold; ``operator`` is given by the genesis and ``add_reviewer``."""

    OPERATOR = "operator"
    MANUFACTURER = "manufacturer"
    LESSEE = "lessee"
    INVESTOR = "investor"
    SERVICE = "service"
    AUDITOR = "auditor"


class TokenStatus(StrEnum):
    """Lifecycle of an equipment token."""

    IN_TRANSIT = "in_transit"
    WAREHOUSED = "warehoused"
    LEASED = "leased"
    RETURNED = "returned"
    RETIRED = "retired"


REGISTRABLE_ROLES = frozenset(r.value for r in Role if r is not Role.OPERATOR)
Checker = Callable[[str, Any], Any]


def _bad(name: str, value: Any, expected: str) -> TransactionError:  # noqa: ANN401 - any bad value
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return TransactionError(TxReason.BAD_ARGS, f"argument {name!r} is {shown}, expected {expected}")


def text(name: str, value: Any) -> str:  # noqa: ANN401 - validating untyped CBOR
    """Non-empty text of at most ``MAX_TEXT`` characters."""
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT:
        raise _bad(name, value, f"text of 1..{MAX_TEXT} characters")
    return value


def optional_text(name: str, value: Any) -> str:  # noqa: ANN401 - validating untyped CBOR
    """Text of at most ``MAX_TEXT`` characters, possibly empty."""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise _bad(name, value, f"text of 0..{MAX_TEXT} characters")
    return value


def ref(name: str, value: Any) -> str:  # noqa: ANN401 - validating untyped CBOR
    """An entity reference (token, lease or invoice id)."""
    if not isinstance(value, str) or not REF_RE.fullmatch(value):
        raise _bad(name, value, f"an id matching {REF_RE.pattern}")
    return value


def account(name: str, value: Any) -> str:  # noqa: ANN401 - validating untyped CBOR
    """An account id: 64 lowercase hex digits (an Ed25519 public key)."""
    if not isinstance(value, str) or not ACCOUNT_RE.fullmatch(value):
        raise _bad(name, value, "an account id of 64 lowercase hex digits")
    return value


def optional_account(name: str, value: Any) -> str:  # noqa: ANN401 - validating untyped CBOR
    """An account id or the empty text (meaning 'nobody')."""
    if value == "":
        return ""
    return account(name, value)


def uint(name: str, value: Any) -> int:  # noqa: ANN401 - validating untyped CBOR
    """An integer in 0..2**63-1."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_I63:
        raise _bad(name, value, f"an integer in 0..{MAX_I63}")
    return value


def posint(name: str, value: Any) -> int:  # noqa: ANN401 - validating untyped CBOR
    """An integer in 1..2**63-1."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_I63:
        raise _bad(name, value, f"an integer in 1..{MAX_I63}")
    return value


def public_key(name: str, value: Any) -> bytes:  # noqa: ANN401 - validating untyped CBOR
    """A 32-byte Ed25519 public key."""
    if not isinstance(value, bytes) or len(value) != 32:
        raise _bad(name, value, "a 32-byte public key (bstr)")
    return value


def digest(name: str, value: Any) -> bytes:  # noqa: ANN401 - validating untyped CBOR
    """A 32-byte hash."""
    if not isinstance(value, bytes) or len(value) != 32:
        raise _bad(name, value, "a 32-byte hash (bstr)")
    return value


def text_map(name: str, value: Any) -> dict[str, str]:  # noqa: ANN401 - validating untyped CBOR
    """A map of text to text, at most ``MAX_MAP_ENTRIES`` entries."""
    if not isinstance(value, dict) or len(value) > MAX_MAP_ENTRIES:
        raise _bad(name, value, f"a map of at most {MAX_MAP_ENTRIES} text entries")
    for key, item in value.items():
        text(f"{name}.{key}", key)
        optional_text(f"{name}.{key}", item)
    return dict(value)


def roles(name: str, value: Any) -> list[str]:  # noqa: ANN401 - validating untyped CBOR
    """A non-empty list of distinct registrable roles."""
    if not isinstance(value, list) or not value or len(set(map(repr, value))) != len(value):
        raise _bad(name, value, f"a non-empty list of distinct roles from {sorted(REGISTRABLE_ROLES)}")
    for item in value:
        if item not in REGISTRABLE_ROLES:
            raise _bad(name, item, f"one of {sorted(REGISTRABLE_ROLES)}")
    return sorted(value)


def decision(name: str, value: Any) -> str:  # noqa: ANN401 - validating untyped CBOR
    """``approve`` or ``reject``."""
    if value not in ("approve", "reject"):
        raise _bad(name, value, "'approve' or 'reject'")
    return str(value)


def rating(name: str, value: Any) -> int:  # noqa: ANN401 - validating untyped CBOR
    """A rating from 1 to 5."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise _bad(name, value, "an integer rating in 1..5")
    return value


def status(name: str, value: Any) -> str:  # noqa: ANN401 - validating untyped CBOR
    """A token lifecycle status."""
    if value not in {s.value for s in TokenStatus}:
        raise _bad(name, value, f"one of {[s.value for s in TokenStatus]}")
    return str(value)


def fees(name: str, value: Any) -> list[tuple[str, int]]:  # noqa: ANN401 - validating untyped CBOR
    """Fee splits: a list of ``{"account": ID, "bps": N}``, distinct accounts, total <= 10000 bps."""
    if not isinstance(value, list) or len(value) > MAX_FEES:
        raise _bad(name, value, f"a list of at most {MAX_FEES} fee splits")
    out: list[tuple[str, int]] = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"account", "bps"}:
            raise _bad(f"{name}[{i}]", item, "a map with exactly 'account' and 'bps'")
        acc = account(f"{name}[{i}].account", item["account"])
        bps = item["bps"]
        if isinstance(bps, bool) or not isinstance(bps, int) or not 0 < bps <= BPS_TOTAL:
            raise _bad(f"{name}[{i}].bps", bps, f"an integer in 1..{BPS_TOTAL}")
        out.append((acc, bps))
    if len({acc for acc, _ in out}) != len(out):
        raise _bad(name, value, "distinct fee accounts")
    total = sum(bps for _, bps in out)
    if total > BPS_TOTAL:
        raise _bad(name, value, f"fee splits totalling at most {BPS_TOTAL} bps, not {total}")
    return out


def signature(name: str, value: Any) -> bytes:  # noqa: ANN401 - validating untyped CBOR
    """A 64-byte Ed25519 signature."""
    if not isinstance(value, bytes) or len(value) != 64:
        raise _bad(name, value, "a 64-byte Ed25519 signature (bstr)")
    return value


def guarantee_kind(name: str, value: Any) -> str:  # noqa: ANN401 - validating untyped CBOR
    """``security`` or ``salvage``."""
    if value not in GUARANTEE_KINDS:
        raise _bad(name, value, f"one of {list(GUARANTEE_KINDS)}")
    return str(value)


def hours(name: str, value: Any) -> int:  # noqa: ANN401 - validating untyped CBOR
    """Machine-hours a month: an integer in 0..744."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_HOURS_PER_MONTH:
        raise _bad(name, value, f"an integer number of hours a month in 0..{MAX_HOURS_PER_MONTH}")
    return value


def batch_messages(name: str, value: Any) -> list[bytes]:  # noqa: ANN401 - validating untyped CBOR
    """A non-empty list of at most ``MAX_MESSAGES`` signed device messages (bstr each)."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_MESSAGES:
        raise _bad(name, f"<{type(value).__name__}>", f"a list of 1..{MAX_MESSAGES} messages")
    for i, item in enumerate(value):
        if not isinstance(item, bytes):
            raise _bad(f"{name}[{i}]", item, "a signed message (bstr)")
    return list(value)


def evm_address(name: str, value: Any) -> str:  # noqa: ANN401 - validating untyped CBOR
    """An EVM contract or account address: ``0x`` and 40 lowercase hex digits."""
    if not isinstance(value, str) or not EVM_ADDRESS_RE.fullmatch(value):
        raise _bad(name, value, "an EVM address: 0x and 40 lowercase hex digits")
    return value


ARGS: dict[TxType, dict[str, Checker]] = {
    TxType.GENESIS: {"name": text, "currency": text},
    TxType.ADD_REVIEWER: {"account": account},
    TxType.REGISTER_ENTERPRISE: {"name": text, "roles": roles, "info": text_map},
    TxType.REVIEW_ENTERPRISE: {"enterprise": account, "decision": decision, "reason": optional_text},
    TxType.REVIEW_SERVICE: {"service": account, "rating": rating, "comment": optional_text},
    TxType.DEPOSIT: {"account": account, "amount": posint, "reference": text},
    TxType.WITHDRAW: {"amount": posint, "reference": text},
    TxType.MINT_TOKEN: {
        "serial": text,
        "model": text,
        "specs": text_map,
        "price": uint,
        "salvage_value": uint,
        "shares": posint,
        "share_price": uint,
        "fee_terms": fees,
    },
    TxType.APPROVE_TOKEN: {"token": ref, "spender": optional_account},
    TxType.TRANSFER_TOKEN: {"token": ref, "to": account},
    TxType.SET_TOKEN_STATUS: {"token": ref, "status": status},
    TxType.SET_FEE_TERMS: {"token": ref, "fee_terms": fees},
    TxType.BIND_DEVICE: {"token": ref, "public_key": public_key},
    TxType.ROTATE_DEVICE: {"token": ref, "public_key": public_key},
    TxType.REVOKE_DEVICE: {"token": ref, "reason": text},
    TxType.BUY_SHARES: {"token": ref, "count": posint},
    TxType.TRANSFER_SHARES: {"token": ref, "to": account, "count": posint},
    TxType.OFFER_LEASE: {
        "token": ref,
        "lessee": account,
        "start": uint,
        "end": uint,
        "period": posint,
        "fixed_rent": uint,
        "usage_rate": uint,
        "deposit": uint,
        "grace": uint,
        "fees": fees,
        "expires": posint,
    },
    TxType.SIGN_LEASE: {"lease": ref},
    TxType.CANCEL_OFFER: {"lease": ref},
    TxType.CLOSE_LEASE: {"lease": ref},
    TxType.ISSUE_INVOICE: {"lease": ref, "period": uint, "usage_seconds": uint, "evidence": digest},
    TxType.PAY_INVOICE: {"invoice": ref},
    TxType.ANCHOR_BATCH: {"root": digest, "count": posint},
    TxType.CHECKPOINT: {"size": uint, "digest": digest},
    TxType.RECORD_ANCHOR: {
        "chain_id": posint,
        "contract": evm_address,
        "size": posint,
        "root": digest,
        "cosignatures": uint,
        "tx_hash": digest,
        "block": uint,
    },
    TxType.POST_REQUEST: {
        "kind": text,
        "specs": text_map,
        "site": text,
        "start": uint,
        "term": posint,
        "budget": posint,
        "hours": hours,
        "expires": posint,
    },
    TxType.WITHDRAW_REQUEST: {"request": ref},
    TxType.LIST_MACHINE: {
        "token": ref,
        "kind": text,
        "site": text,
        "period": posint,
        "fixed_rent": uint,
        "usage_rate": uint,
        "deposit": uint,
        "min_term": posint,
        "max_term": posint,
    },
    TxType.UNLIST: {"listing": ref},
    TxType.PROPOSE: {
        "request": ref,
        "listing": ref,
        "start": uint,
        "deposit": uint,
        "grace": uint,
        "fees": fees,
        "expires": posint,
    },
    TxType.POST_GUARANTEE: {"token": ref, "kind": guarantee_kind, "amount": posint, "until": posint},
    TxType.SETTLE_GUARANTEE: {"guarantee": ref},
    TxType.ENGAGE_SERVICE: {"service": account, "subject": ref, "scope": text, "fee": uint, "due": posint},
    TxType.DELIVER_REPORT: {"order": ref, "report": digest, "signature": signature},
    TxType.CANCEL_SERVICE: {"order": ref},
    TxType.RATE_SERVICE: {"order": ref, "rating": rating, "comment": optional_text},
}


def parse_type(value: str) -> TxType:
    """The :class:`TxType` named ``value``; ``unknown_type`` otherwise."""
    try:
        return TxType(value)
    except ValueError:
        raise TransactionError(
            TxReason.UNKNOWN_TYPE, f"transaction type {value!r} is not one of {[t.value for t in TxType]}"
        ) from None


def check_args(tx_type: TxType, args: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``args`` of a ``tx_type`` transaction: exactly the listed keys, each of its kind."""
    spec = ARGS[tx_type]
    missing = sorted(set(spec) - set(args))
    if missing:
        raise TransactionError(TxReason.BAD_ARGS, f"{tx_type.value} lacks arguments {missing}")
    extra = sorted(set(args) - set(spec))
    if extra:
        raise TransactionError(TxReason.BAD_ARGS, f"{tx_type.value} has unknown arguments {extra}")
    return {name: check(name, args[name]) for name, check in spec.items()}
