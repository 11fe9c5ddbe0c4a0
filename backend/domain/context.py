"""What a transaction handler sees, and the checks every handler shares."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend.readings import Readings
from backend.state import Enterprise, Lease, State, Token
from backend.verify import Verifier
from chain_client.ledger.errors import TransactionError
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import Role
from chain_client.ledger.transaction import Transaction


@dataclass
class Context:
    """One transaction being applied at log position ``index`` and ledger time ``time``."""

    state: State
    tx: Transaction
    args: dict[str, Any]
    index: int
    time: int
    verifier: Verifier | None = None
    messages: list[bytes] | None = None  # beside an anchor_batch
    readings: Readings | None = None  # the usage increments, in the database
    batch_row: dict[str, Any] | None = None
    reading_rows: list[dict[str, Any]] = field(default_factory=list)
    # The log's root hash at a size up to ``index`` (read-only: the tree before this entry).
    root_at: Callable[[int], bytes] | None = None
    # Applying an entry already in the log (a start), not a submission.
    replaying: bool = False

    @property
    def signer(self) -> str:
        """Account id of the signer."""
        return self.tx.signer

    def derived_id(self, prefix: str, *parts: bytes) -> str:
        """A ledger-assigned id: ``prefix`` + 16 hex digits of SHA-256 over ``parts``."""
        return prefix + hashlib.sha256(b"".join(parts)).hexdigest()[:16]


def refuse(reason: TxReason, detail: str) -> TransactionError:
    """The error to raise for a refused transaction."""
    return TransactionError(reason, detail)


def enterprise(ctx: Context, account: str, what: str = "account") -> Enterprise:
    """The enterprise registered under ``account``."""
    found = ctx.state.enterprises.get(account)
    if found is None:
        raise refuse(TxReason.NOT_REGISTERED, f"{what} {account} is not a registered enterprise")
    return found


def certified(ctx: Context, account: str, roles: tuple[Role, ...] = (), what: str = "signer") -> Enterprise:
    """A certified enterprise; with ``roles``, holding one of them, else holding a role that may act."""
    found = enterprise(ctx, account, what)
    if found.status != "approved":
        raise refuse(TxReason.NOT_CERTIFIED, f"{what} {account} is {found.status}, not certified")
    wanted = {r.value for r in roles} if roles else {r.value for r in Role if r is not Role.AUDITOR}
    if not wanted & set(found.roles):
        raise refuse(
            TxReason.ROLE_NOT_ALLOWED,
            f"{what} {account} has roles {found.roles}, this needs one of {sorted(wanted)}",
        )
    return found


def reviewer(ctx: Context) -> None:
    """The signer must be a reviewer (the operator or one it added)."""
    if ctx.signer not in ctx.state.reviewers:
        raise refuse(TxReason.NOT_REVIEWER, f"signer {ctx.signer} is not a reviewer")


def token(ctx: Context, token_id: str, *, live: bool = True) -> Token:
    """The token ``token_id``; with ``live``, refuse a retired one."""
    found = ctx.state.tokens.get(token_id)
    if found is None:
        raise refuse(TxReason.UNKNOWN_TOKEN, f"token {token_id!r} does not exist")
    if live and found.status == "retired":
        raise refuse(TxReason.TOKEN_RETIRED, f"token {token_id!r} is retired")
    return found


def owned_token(ctx: Context, token_id: str) -> Token:
    """A live token the signer owns."""
    found = token(ctx, token_id)
    if found.owner != ctx.signer:
        raise refuse(
            TxReason.NOT_OWNER, f"signer {ctx.signer} does not own token {token_id!r} ({found.owner})"
        )
    certified(ctx, ctx.signer)
    return found


def lease(ctx: Context, lease_id: str) -> Lease:
    """The lease ``lease_id``."""
    found = ctx.state.leases.get(lease_id)
    if found is None:
        raise refuse(TxReason.UNKNOWN_LEASE, f"lease {lease_id!r} does not exist")
    return found
