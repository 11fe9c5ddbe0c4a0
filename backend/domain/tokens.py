"""Equipment tokens: minting, ERC-721 approval and transfer, lifecycle status."""

from __future__ import annotations

import hashlib
from typing import Any

from backend.domain.context import Context, certified, owned_token, refuse, token
from backend.domain.offers import check_fees, void_offers
from backend.state import Token
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import Role, TokenStatus

# Moves an owner may make by hand; ``leased`` is entered and left only by the lease itself.
STATUS_MOVES: dict[str, frozenset[str]] = {
    TokenStatus.IN_TRANSIT: frozenset({TokenStatus.WAREHOUSED, TokenStatus.RETIRED}),
    TokenStatus.WAREHOUSED: frozenset({TokenStatus.IN_TRANSIT, TokenStatus.RETIRED}),
    TokenStatus.RETURNED: frozenset({TokenStatus.WAREHOUSED, TokenStatus.IN_TRANSIT, TokenStatus.RETIRED}),
    TokenStatus.LEASED: frozenset(),
    TokenStatus.RETIRED: frozenset(),
}


def token_id(manufacturer: str, serial: str) -> str:
    """The id of the token for a manufacturer's serial number."""
    return "tok-" + hashlib.sha256(bytes.fromhex(manufacturer) + serial.encode()).hexdigest()[:16]


def mint_token(ctx: Context) -> dict[str, Any]:
    """A certified manufacturer tokenizes one machine, once."""
    certified(ctx, ctx.signer, (Role.MANUFACTURER,))
    args = ctx.args
    tid = token_id(ctx.signer, args["serial"])
    if tid in ctx.state.tokens:
        raise refuse(
            TxReason.DUPLICATE_TOKEN,
            f"serial {args['serial']!r} of manufacturer {ctx.signer} is already token {tid}",
        )
    if args["salvage_value"] > args["price"]:
        raise refuse(
            TxReason.BAD_ARGS,
            f"argument 'salvage_value' is {args['salvage_value']}, "
            f"expected at most the price {args['price']}",
        )
    minted = Token(
        id=tid,
        manufacturer=ctx.signer,
        serial=args["serial"],
        model=args["model"],
        specs=args["specs"],
        price=args["price"],
        salvage_value=args["salvage_value"],
        total_shares=args["shares"],
        share_price=args["share_price"],
        owner=ctx.signer,
        minted_at=ctx.time,
        holdings={ctx.signer: args["shares"]},
        share_events=[(ctx.time, ctx.signer, args["shares"])],
        fee_terms=list(args["fee_terms"]),
    )
    ctx.state.tokens[tid] = minted
    return {"token": tid}


def approve_token(ctx: Context) -> dict[str, Any]:
    """The owner approves one account (or nobody) to transfer the token."""
    found = owned_token(ctx, ctx.args["token"])
    found.approved = ctx.args["spender"]
    return {"token": found.id, "approved": found.approved}


def transfer_token(ctx: Context) -> dict[str, Any]:
    """The owner or the approved account transfers the token; a running lease goes on, offers end."""
    found = token(ctx, ctx.args["token"])
    if ctx.signer not in (found.owner, found.approved) or not found.owner:
        raise refuse(
            TxReason.NOT_OWNER_OR_APPROVED,
            f"signer {ctx.signer} is neither the owner nor approved for token {found.id!r}",
        )
    certified(ctx, ctx.signer)
    to = ctx.args["to"]
    certified(ctx, to, what="recipient")
    voided = void_offers(ctx, found, f"token transferred to {to}")
    found.owner = to
    found.approved = ""
    return {"token": found.id, "owner": to, "voided": voided}


def set_token_status(ctx: Context) -> dict[str, Any]:
    """The owner moves the token along its lifecycle."""
    found = owned_token(ctx, ctx.args["token"])
    wanted = ctx.args["status"]
    if wanted not in STATUS_MOVES[found.status]:
        raise refuse(
            TxReason.BAD_STATUS_TRANSITION,
            f"token {found.id!r} cannot go from {found.status} to {wanted} "
            f"(allowed: {sorted(STATUS_MOVES[found.status])})",
        )
    voided = void_offers(ctx, found, f"token status changed to {wanted}")
    found.status = wanted
    return {"token": found.id, "status": wanted, "voided": voided}


def set_fee_terms(ctx: Context) -> dict[str, Any]:
    """The owner lowers the token's fee terms: no new account, no account's bps raised."""
    found = owned_token(ctx, ctx.args["token"])
    wanted: list[tuple[str, int]] = ctx.args["fee_terms"]
    check_fees(found, wanted)
    found.fee_terms = list(wanted)
    return {"token": found.id, "fee_terms": [{"account": a, "bps": b} for a, b in wanted]}
