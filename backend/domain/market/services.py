"""Third-party services engaged on a machine or a lease: fee in escrow, a signed report, a rating."""

from __future__ import annotations

from typing import Any

from backend.books import settlement
from backend.domain.context import Context, certified, lease, refuse, token
from backend.marketplace import Order
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import MAX_OPEN_ORDERS, Role
from chain_client.market.ids import ORDER, derived_id
from chain_client.market.report import report_signed


def escrow_of(order: str) -> str:
    """The escrow account holding a service order's fee."""
    return f"order:{order}"


def _order(ctx: Context) -> Order:
    found = ctx.state.market.orders.get(ctx.args["order"])
    if found is None:
        raise refuse(TxReason.UNKNOWN_ORDER, f"service order {ctx.args['order']!r} does not exist")
    return found


def engage_service(ctx: Context) -> dict[str, Any]:
    """A certified party engages a certified service on a token or a lease; the fee goes to escrow."""
    args = ctx.args
    certified(ctx, ctx.signer)
    if args["service"] == ctx.signer:
        raise refuse(TxReason.SELF_REVIEW, f"enterprise {ctx.signer} cannot engage itself")
    certified(ctx, args["service"], (Role.SERVICE,), what="service")
    subject = args["subject"]
    if subject.startswith("lease-"):
        lease(ctx, subject)  # refuses an unknown lease
    else:
        token(ctx, subject, live=False)  # refuses an unknown token; a retired one may still be inspected
    if args["due"] <= ctx.time:
        raise refuse(TxReason.BAD_ARGS, f"argument 'due' is {args['due']}, expected after now ({ctx.time})")
    market = ctx.state.market
    mine = [o for o in market.open_orders.get(ctx.signer, []) if market.orders[o].status == "open"]
    if len(mine) >= MAX_OPEN_ORDERS:
        raise refuse(
            TxReason.TOO_MANY_ORDERS,
            f"{ctx.signer} has {len(mine)} open service orders, at most {MAX_OPEN_ORDERS}",
        )
    books, payer = ctx.state.books, settlement(ctx.signer)
    if not books.can_pay(payer, args["fee"]):
        raise refuse(
            TxReason.INSUFFICIENT_FUNDS, f"{payer} holds {books.balance(payer)}, the fee is {args['fee']}"
        )
    oid = derived_id(ORDER, ctx.signer, ctx.tx.id)
    books.post(ctx.index, payer, escrow_of(oid), args["fee"], f"service fee {oid}")
    market.orders[oid] = Order(
        oid, ctx.signer, args["service"], subject, args["scope"], args["fee"], args["due"], ctx.time
    )
    market.open_orders[ctx.signer] = [*mine, oid]
    market.service_orders.setdefault(args["service"], []).append(oid)
    return {"order": oid, "fee": args["fee"], "due": args["due"]}


def deliver_report(ctx: Context) -> dict[str, Any]:
    """The engaged service delivers its report's hash, signed; the fee is released to it."""
    found = _order(ctx)
    if ctx.signer != found.service:
        raise refuse(TxReason.NOT_ORDER_SERVICE, f"signer {ctx.signer} is not the service of {found.id!r}")
    if found.status != "open":
        raise refuse(TxReason.ORDER_NOT_OPEN, f"service order {found.id!r} is {found.status}")
    report, signature = ctx.args["report"], ctx.args["signature"]
    if not report_signed(ctx.tx.public_key, found.id, report, signature):
        raise refuse(
            TxReason.BAD_REPORT_SIGNATURE,
            f"the report signature does not verify for {ctx.signer} "
            f"over order {found.id!r} and {report.hex()}",
        )
    found.status, found.report, found.report_signature, found.delivered_at = (
        "delivered",
        report,
        signature,
        ctx.time,
    )
    ctx.state.books.post(
        ctx.index, escrow_of(found.id), settlement(found.service), found.fee, f"service fee {found.id}"
    )
    return {"order": found.id, "status": "delivered", "paid": found.fee}


def cancel_service(ctx: Context) -> dict[str, Any]:
    """The client cancels an order not delivered by its due time; the fee comes back."""
    found = _order(ctx)
    if ctx.signer != found.client:
        raise refuse(TxReason.NOT_CLIENT, f"signer {ctx.signer} did not engage {found.id!r}")
    if found.status != "open":
        raise refuse(TxReason.ORDER_NOT_OPEN, f"service order {found.id!r} is {found.status}")
    if ctx.time < found.due:
        raise refuse(
            TxReason.ORDER_NOT_DUE, f"service order {found.id!r} is due at {found.due}, it is {ctx.time}"
        )
    found.status = "cancelled"
    ctx.state.books.post(
        ctx.index, escrow_of(found.id), settlement(found.client), found.fee, f"fee back {found.id}"
    )
    return {"order": found.id, "status": "cancelled", "refunded": found.fee}


def rate_service(ctx: Context) -> dict[str, Any]:
    """The client rates a delivered order, once."""
    found = _order(ctx)
    if ctx.signer != found.client:
        raise refuse(TxReason.NOT_CLIENT, f"signer {ctx.signer} did not engage {found.id!r}")
    if found.status != "delivered":
        raise refuse(TxReason.NOT_DELIVERED, f"service order {found.id!r} is {found.status}, not delivered")
    if found.rating:
        raise refuse(
            TxReason.ALREADY_RATED, f"service order {found.id!r} was rated {found.rating} at {found.rated_at}"
        )
    found.rating, found.comment, found.rated_at = ctx.args["rating"], ctx.args["comment"], ctx.time
    return {"order": found.id, "service": found.service, "rating": found.rating}
