"""A manufacturer's security deposit or salvage guarantee on a token: escrowed, then settled by rule.

``security`` pays the token's owner when a running lease of the token is in default (an invoice
more than 30 days past due and unpaid); ``salvage`` pays the token's owner when the token is
retired before ``until``. Otherwise, from ``until`` on, the money goes back to the manufacturer.
"""

from __future__ import annotations

from typing import Any

from backend.books import settlement
from backend.domain.context import Context, certified, refuse, token
from backend.marketplace import Guarantee
from backend.state import State, Token
from chain_client.credit.score import DAY, DEFAULT_DAYS
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import MAX_GUARANTEES, Role
from chain_client.market.ids import GUARANTEE, derived_id


def escrow_of(guarantee: str) -> str:
    """The escrow account holding a guarantee."""
    return f"guarantee:{guarantee}"


def post_guarantee(ctx: Context) -> dict[str, Any]:
    """The token's manufacturer puts ``amount`` in escrow as a ``kind`` guarantee until ``until``."""
    args = ctx.args
    certified(ctx, ctx.signer, (Role.MANUFACTURER,))
    tok = token(ctx, args["token"])
    if tok.manufacturer != ctx.signer:
        raise refuse(TxReason.NOT_OWNER, f"signer {ctx.signer} did not make token {tok.id!r}")
    if args["kind"] == "salvage" and args["amount"] > tok.salvage_value:
        raise refuse(
            TxReason.BAD_ARGS,
            f"argument 'amount' is {args['amount']}, a salvage guarantee is at most "
            f"the salvage value {tok.salvage_value}",
        )
    if args["until"] <= ctx.time:
        raise refuse(
            TxReason.BAD_ARGS, f"argument 'until' is {args['until']}, expected after now ({ctx.time})"
        )
    market = ctx.state.market
    held = [g for g in market.token_guarantees.get(tok.id, []) if market.guarantees[g].status == "held"]
    if len(held) >= MAX_GUARANTEES:
        raise refuse(
            TxReason.TOO_MANY_GUARANTEES,
            f"token {tok.id!r} has {len(held)} guarantees held, at most {MAX_GUARANTEES}",
        )
    books, payer = ctx.state.books, settlement(ctx.signer)
    if not books.can_pay(payer, args["amount"]):
        raise refuse(
            TxReason.INSUFFICIENT_FUNDS,
            f"{payer} holds {books.balance(payer)}, the guarantee is {args['amount']}",
        )
    gid = derived_id(GUARANTEE, ctx.signer, ctx.tx.id)
    books.post(ctx.index, payer, escrow_of(gid), args["amount"], f"{args['kind']} guarantee {gid}")
    market.token_guarantees[tok.id] = [*held, gid]
    market.guarantees[gid] = Guarantee(
        gid, tok.id, ctx.signer, args["kind"], args["amount"], args["until"], ctx.time
    )
    return {"guarantee": gid, "amount": args["amount"], "until": args["until"]}


def in_default(state: State, tok: Token, now: int) -> str:
    """The invoice of the token's running lease that is over 30 days past due and unpaid, or ''."""
    if not tok.lease:
        return ""
    for iid in state.leases[tok.lease].invoices.values():
        inv = state.invoices[iid]
        if not inv.paid_at and now - inv.due > DEFAULT_DAYS * DAY:
            return iid
    return ""


def _claim_reason(ctx: Context, found: Guarantee, tok: Token) -> str:
    if found.kind == "security":
        bad = in_default(ctx.state, tok, ctx.time)
        return f"invoice {bad} over {DEFAULT_DAYS} days past due" if bad else ""
    return "token retired" if tok.status == "retired" else ""


def settle_guarantee(ctx: Context) -> dict[str, Any]:
    """Anyone registered settles a guarantee by its rule: claimed by the owner, or released at ``until``."""
    certified(ctx, ctx.signer, tuple(Role))
    found = ctx.state.market.guarantees.get(ctx.args["guarantee"])
    if found is None:
        raise refuse(TxReason.UNKNOWN_GUARANTEE, f"guarantee {ctx.args['guarantee']!r} does not exist")
    if found.status != "held":
        raise refuse(
            TxReason.GUARANTEE_SETTLED, f"guarantee {found.id!r} was {found.status} at {found.settled_at}"
        )
    tok = ctx.state.tokens[found.token]
    why = _claim_reason(ctx, found, tok) if ctx.time < found.until else ""
    if why:
        found.status, found.paid_to = "claimed", tok.owner
    elif ctx.time >= found.until:
        found.status, found.paid_to, why = "released", found.manufacturer, f"held until {found.until}"
    else:
        raise refuse(
            TxReason.GUARANTEE_LOCKED,
            f"guarantee {found.id!r} is held until {found.until} and no claim applies now ({ctx.time})",
        )
    found.settled_at = ctx.time
    ctx.state.books.post(
        ctx.index,
        escrow_of(found.id),
        settlement(found.paid_to),
        found.amount,
        f"guarantee {found.id} {found.status}",
    )
    return {"guarantee": found.id, "status": found.status, "paid_to": found.paid_to, "why": why}
