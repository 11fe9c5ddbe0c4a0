"""Building and signing ledger transactions: one method per transaction type.

:class:`TxBuilder` holds a signing key and returns :class:`SignedTx` values,
the exact bytes to submit.  Arguments are checked against the ledger's schema
(:mod:`chain_client.ledger.schema`) before signing, so a malformed call fails
here with ``bad_args`` naming the value instead of at the backend.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nacl.signing import SigningKey

from chain_client import merkle
from chain_client.ledger.errors import TransactionError
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import MAX_MESSAGES, TxType, check_args
from chain_client.ledger.transaction import account_of, sign


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction ready to submit; retrying the same ``raw`` bytes is idempotent."""

    type: TxType
    id: str
    raw: bytes
    messages: tuple[bytes, ...] = ()  # an anchor_batch's messages, which travel beside it


OFFER_LIFETIME = 7 * 86_400  # seconds an offer stays open unless told otherwise


def _fee_list(fees: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"account": a, "bps": b} for a, b in fees]


def new_tx_id(prefix: str = "c") -> str:
    """A fresh transaction id: time-ordered and random, unique per signer in practice."""
    return f"{prefix}-{time.time_ns():x}-{secrets.token_hex(4)}"


def public_key_bytes(value: bytes | str) -> bytes:
    """A 32-byte Ed25519 public key given as bytes or as 64 hex digits."""
    if isinstance(value, str):
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise TransactionError(TxReason.BAD_ARGS, f"public key {value!r} is not hex") from None
    else:
        raw = bytes(value)
    if len(raw) != 32:
        raise TransactionError(
            TxReason.BAD_ARGS, f"public key {raw.hex()!r} is {len(raw)} bytes, expected 32"
        )
    return raw


def ledger_key_bytes(value: bytes | str) -> bytes:
    """A ledger's log key (32 bytes) given as bytes or as 64 hex digits."""
    try:
        return public_key_bytes(value)
    except TransactionError:
        shown = value if isinstance(value, str) else bytes(value).hex()
        raise TransactionError(
            TxReason.BAD_ARGS, f"ledger key {shown!r} is not a 32-byte public key (64 hex digits)"
        ) from None


class TxBuilder:
    """Signs transactions of every type with one key, for one ledger.

    ``ledger`` is the log key of the ledger the transactions are for (``GET
    /v1/info``'s ``log_key``); the clients fill it in from the backend they talk to.
    """

    def __init__(self, key: SigningKey, *, ledger: bytes | str | None = None, id_prefix: str = "c") -> None:
        self.key = key
        self.ledger = ledger_key_bytes(ledger) if ledger is not None else None
        self.id_prefix = id_prefix

    @property
    def account(self) -> str:
        """The signer's account id."""
        return account_of(self.key)

    def build(self, tx_type: TxType, args: Mapping[str, Any], tx_id: str | None = None) -> SignedTx:
        """Check ``args`` against the schema of ``tx_type`` and sign; any type, by name."""
        check_args(tx_type, args)
        if self.ledger is None:
            raise TransactionError(
                TxReason.WRONG_LEDGER, "this builder does not know its ledger: pass ledger= (the log key)"
            )
        chosen = tx_id or new_tx_id(self.id_prefix)
        raw = sign(tx_type.value, chosen, dict(args), self.key, ledger=self.ledger)
        return SignedTx(tx_type, chosen, raw)

    # -- enterprises and reviewers ------------------------------------------

    def add_reviewer(self, account: str, *, tx_id: str | None = None) -> SignedTx:
        """Operator: let ``account`` review enterprises and record deposits."""
        return self.build(TxType.ADD_REVIEWER, {"account": account}, tx_id)

    def register_enterprise(
        self,
        name: str,
        roles: Sequence[str],
        info: Mapping[str, str] | None = None,
        *,
        tx_id: str | None = None,
    ) -> SignedTx:
        """Apply for certification in ``roles`` (manufacturer, lessee, investor, service, auditor)."""
        args = {"name": name, "roles": list(roles), "info": dict(info or {})}
        return self.build(TxType.REGISTER_ENTERPRISE, args, tx_id)

    def review_enterprise(
        self, enterprise: str, decision: str, reason: str = "", *, tx_id: str | None = None
    ) -> SignedTx:
        """Reviewer: ``approve`` or ``reject`` (with a reason) a pending enterprise."""
        args = {"enterprise": enterprise, "decision": decision, "reason": reason}
        return self.build(TxType.REVIEW_ENTERPRISE, args, tx_id)

    def approve_enterprise(self, enterprise: str, reason: str = "", *, tx_id: str | None = None) -> SignedTx:
        """Reviewer: certify a pending enterprise."""
        return self.review_enterprise(enterprise, "approve", reason, tx_id=tx_id)

    def reject_enterprise(self, enterprise: str, reason: str, *, tx_id: str | None = None) -> SignedTx:
        """Reviewer: reject a pending enterprise; the reason is required."""
        if not reason:
            raise TransactionError(TxReason.BAD_ARGS, "a rejection needs a non-empty reason")
        return self.review_enterprise(enterprise, "reject", reason, tx_id=tx_id)

    def review_service(
        self, service: str, rating: int, comment: str = "", *, tx_id: str | None = None
    ) -> SignedTx:
        """Rate a certified third-party service 1..5."""
        args = {"service": service, "rating": rating, "comment": comment}
        return self.build(TxType.REVIEW_SERVICE, args, tx_id)

    # -- money ---------------------------------------------------------------

    def deposit(self, account: str, amount: int, reference: str, *, tx_id: str | None = None) -> SignedTx:
        """Reviewer: credit ``amount`` minor units received off-ledger to ``account``."""
        args = {"account": account, "amount": amount, "reference": reference}
        return self.build(TxType.DEPOSIT, args, tx_id)

    def withdraw(self, amount: int, reference: str, *, tx_id: str | None = None) -> SignedTx:
        """Take ``amount`` minor units out of the signer's settlement balance."""
        return self.build(TxType.WITHDRAW, {"amount": amount, "reference": reference}, tx_id)

    # -- tokens and devices --------------------------------------------------

    def mint_token(
        self,
        serial: str,
        model: str,
        *,
        price: int,
        salvage_value: int,
        shares: int,
        share_price: int,
        specs: Mapping[str, str] | None = None,
        fee_terms: Sequence[tuple[str, int]] = (),
        tx_id: str | None = None,
    ) -> SignedTx:
        """Manufacturer: tokenize one machine; all ``shares`` start with the manufacturer.

        ``fee_terms`` are the ``(account, bps)`` fees a lease of it may ever take from rent,
        the terms investors buy into; they can later only be lowered.
        """
        args = {
            "serial": serial,
            "model": model,
            "specs": dict(specs or {}),
            "price": price,
            "salvage_value": salvage_value,
            "shares": shares,
            "share_price": share_price,
            "fee_terms": _fee_list(fee_terms),
        }
        return self.build(TxType.MINT_TOKEN, args, tx_id)

    def set_fee_terms(
        self, token: str, fee_terms: Sequence[tuple[str, int]], *, tx_id: str | None = None
    ) -> SignedTx:
        """Owner: lower the token's fee terms (no new account, no higher bps)."""
        args = {"token": token, "fee_terms": _fee_list(fee_terms)}
        return self.build(TxType.SET_FEE_TERMS, args, tx_id)

    def approve_token(self, token: str, spender: str, *, tx_id: str | None = None) -> SignedTx:
        """Owner: let ``spender`` transfer the token (``""`` clears the approval)."""
        return self.build(TxType.APPROVE_TOKEN, {"token": token, "spender": spender}, tx_id)

    def transfer_token(self, token: str, to: str, *, tx_id: str | None = None) -> SignedTx:
        """Owner or approved: give the token to a certified enterprise."""
        return self.build(TxType.TRANSFER_TOKEN, {"token": token, "to": to}, tx_id)

    def set_token_status(self, token: str, status: str, *, tx_id: str | None = None) -> SignedTx:
        """Owner: move the token's lifecycle status (in_transit, warehoused, returned, retired)."""
        return self.build(TxType.SET_TOKEN_STATUS, {"token": token, "status": status}, tx_id)

    def bind_device(self, token: str, public_key: bytes | str, *, tx_id: str | None = None) -> SignedTx:
        """Owner: bind a sensor's Ed25519 public key (bytes or hex) to a token without an active one."""
        args = {"token": token, "public_key": public_key_bytes(public_key)}
        return self.build(TxType.BIND_DEVICE, args, tx_id)

    def rotate_device(self, token: str, public_key: bytes | str, *, tx_id: str | None = None) -> SignedTx:
        """Owner: replace the token's active sensor key."""
        args = {"token": token, "public_key": public_key_bytes(public_key)}
        return self.build(TxType.ROTATE_DEVICE, args, tx_id)

    def revoke_device(self, token: str, reason: str, *, tx_id: str | None = None) -> SignedTx:
        """Owner or reviewer: revoke the token's active sensor key."""
        return self.build(TxType.REVOKE_DEVICE, {"token": token, "reason": reason}, tx_id)

    # -- shares --------------------------------------------------------------

    def buy_shares(self, token: str, count: int, *, tx_id: str | None = None) -> SignedTx:
        """Investor: buy ``count`` shares the manufacturer still holds."""
        return self.build(TxType.BUY_SHARES, {"token": token, "count": count}, tx_id)

    def transfer_shares(self, token: str, to: str, count: int, *, tx_id: str | None = None) -> SignedTx:
        """Holder: give ``count`` shares to a certified investor."""
        return self.build(TxType.TRANSFER_SHARES, {"token": token, "to": to, "count": count}, tx_id)

    # -- leases and rent -----------------------------------------------------

    def offer_lease(
        self,
        token: str,
        lessee: str,
        *,
        start: int,
        end: int,
        period: int,
        fixed_rent: int,
        usage_rate: int = 0,
        deposit: int = 0,
        grace: int = 0,
        fees: Sequence[tuple[str, int]] = (),
        expires: int | None = None,
        tx_id: str | None = None,
    ) -> SignedTx:
        """Owner: offer a lease; ``fees`` are ``(account, bps)`` splits taken from each payment.

        The offer can be signed until ``expires`` (Unix seconds; by default a week from now,
        or the lease's end if sooner).
        """
        if expires is None:
            expires = min(end, int(time.time()) + OFFER_LIFETIME)
        args = {
            "token": token,
            "lessee": lessee,
            "start": start,
            "end": end,
            "period": period,
            "fixed_rent": fixed_rent,
            "usage_rate": usage_rate,
            "deposit": deposit,
            "grace": grace,
            "fees": _fee_list(fees),
            "expires": expires,
        }
        return self.build(TxType.OFFER_LEASE, args, tx_id)

    def cancel_offer(self, lease: str, *, tx_id: str | None = None) -> SignedTx:
        """Offerer: withdraw a pending lease offer before the lessee signs it."""
        return self.build(TxType.CANCEL_OFFER, {"lease": lease}, tx_id)

    def sign_lease(self, lease: str, *, tx_id: str | None = None) -> SignedTx:
        """Lessee: accept a pending lease; its deposit moves to escrow."""
        return self.build(TxType.SIGN_LEASE, {"lease": lease}, tx_id)

    def close_lease(self, lease: str, *, tx_id: str | None = None) -> SignedTx:
        """Owner or lessee: end a lease whose every period is invoiced and paid."""
        return self.build(TxType.CLOSE_LEASE, {"lease": lease}, tx_id)

    def issue_invoice(
        self,
        lease: str,
        period: int,
        usage_seconds: int,
        evidence: bytes | str,
        *,
        tx_id: str | None = None,
    ) -> SignedTx:
        """Owner, lessee or reviewer: invoice an ended period, naming its usage and evidence digest.

        Take both from ``GET /v1/leases/{lease}/periods/{period}/evidence``; the clients'
        ``issue_invoice(lease, period)`` does.
        """
        try:
            digest = bytes.fromhex(evidence) if isinstance(evidence, str) else bytes(evidence)
        except ValueError:
            raise TransactionError(TxReason.BAD_ARGS, f"evidence {evidence!r} is not hex") from None
        args = {"lease": lease, "period": period, "usage_seconds": usage_seconds, "evidence": digest}
        return self.build(TxType.ISSUE_INVOICE, args, tx_id)

    def pay_invoice(self, invoice: str, *, tx_id: str | None = None) -> SignedTx:
        """Lessee: pay an invoice; it is distributed at once."""
        return self.build(TxType.PAY_INVOICE, {"invoice": invoice}, tx_id)

    # -- telemetry -----------------------------------------------------------

    def anchor_batch(self, messages: Sequence[bytes], *, tx_id: str | None = None) -> SignedTx:
        """Service: anchor signed device messages (exact bytes, in leaf order) as one batch."""
        items = [bytes(m) for m in messages]
        if not items:
            raise TransactionError(TxReason.BAD_ARGS, "a batch needs at least one message")
        if len(items) > MAX_MESSAGES:
            raise TransactionError(
                TxReason.BAD_ARGS, f"a batch holds at most {MAX_MESSAGES} messages, not {len(items)}"
            )
        args = {"root": merkle.root(items), "count": len(items)}
        built = self.build(TxType.ANCHOR_BATCH, args, tx_id)
        return SignedTx(built.type, built.id, built.raw, tuple(items))

    # -- on-chain anchors (docs/chain.md) ------------------------------------

    def record_anchor(
        self,
        *,
        chain_id: int,
        contract: str,
        size: int,
        root: bytes,
        cosignatures: int,
        tx_hash: bytes,
        block: int,
    ) -> SignedTx:
        """Service (the bridge): record a confirmed on-chain anchor of the checkpoint of ``size``.

        The id names the chain, contract and size, so a retry after a crash resends the same bytes.
        """
        args = {
            "chain_id": chain_id,
            "contract": contract,
            "size": size,
            "root": root,
            "cosignatures": cosignatures,
            "tx_hash": tx_hash,
            "block": block,
        }
        return self.build(TxType.RECORD_ANCHOR, args, f"anchor-{chain_id}-{contract[2:10]}-{size}")
