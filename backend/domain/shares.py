"""Shares of a token: investors buy them from the manufacturer and may transfer them."""

from __future__ import annotations

from typing import Any

from backend.books import settlement
from backend.domain.context import Context, certified, refuse, token
from backend.state import Token
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import Role


def _move(ctx: Context, found: Token, source: str, to: str, count: int) -> None:
    held = found.holdings.get(source, 0)
    if held < count:
        raise refuse(
            TxReason.NOT_ENOUGH_SHARES, f"{source} holds {held} shares of {found.id!r}, cannot move {count}"
        )
    found.holdings[source] = held - count
    if not found.holdings[source]:
        del found.holdings[source]
    found.holdings[to] = found.holdings.get(to, 0) + count
    found.share_events.append((ctx.time, source, -count))
    found.share_events.append((ctx.time, to, count))


def buy_shares(ctx: Context) -> dict[str, Any]:
    """A certified investor buys shares the manufacturer still holds; the price goes to it."""
    certified(ctx, ctx.signer, (Role.INVESTOR,))
    found = token(ctx, ctx.args["token"])
    count = ctx.args["count"]
    seller = found.manufacturer
    if seller == ctx.signer:
        raise refuse(TxReason.BAD_ARGS, f"signer {ctx.signer} is the manufacturer of {found.id!r}")
    available = found.holdings.get(seller, 0)
    if available < count:
        raise refuse(
            TxReason.NOT_ENOUGH_SHARES, f"token {found.id!r} has {available} shares for sale, not {count}"
        )
    price = count * found.share_price
    books, payer = ctx.state.books, settlement(ctx.signer)
    if not books.can_pay(payer, price):
        raise refuse(
            TxReason.INSUFFICIENT_FUNDS, f"{payer} holds {books.balance(payer)}, the shares cost {price}"
        )
    books.post(ctx.index, payer, settlement(seller), price, f"buy {count} shares of {found.id}")
    _move(ctx, found, seller, ctx.signer, count)
    return {"token": found.id, "shares": found.holdings[ctx.signer], "paid": price}


def transfer_shares(ctx: Context) -> dict[str, Any]:
    """A holder gives shares to a certified investor."""
    found = token(ctx, ctx.args["token"])
    to, count = ctx.args["to"], ctx.args["count"]
    certified(ctx, ctx.signer)
    certified(ctx, to, (Role.INVESTOR,), what="recipient")
    if to == ctx.signer:
        raise refuse(TxReason.BAD_ARGS, f"argument 'to' is the signer {to}, expected another account")
    _move(ctx, found, ctx.signer, to, count)
    return {"token": found.id, "shares": found.holdings.get(ctx.signer, 0)}
