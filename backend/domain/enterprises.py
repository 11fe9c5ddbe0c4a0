"""Genesis, reviewers, enterprise registration and certification, reviews of services."""

from __future__ import annotations

from typing import Any

from backend.domain.context import Context, certified, refuse, reviewer
from backend.state import Credit, Enterprise
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import REVIEW_NEEDS_DELIVERY_FROM, Role


def genesis(ctx: Context) -> dict[str, Any]:
    """Entry 0: the signer becomes the platform operator and first reviewer."""
    state = ctx.state
    state.operator = ctx.signer
    state.name = ctx.args["name"]
    state.currency = ctx.args["currency"]
    state.reviewers.add(ctx.signer)
    state.enterprises[ctx.signer] = Enterprise(
        account=ctx.signer,
        name=ctx.args["name"],
        roles=[Role.OPERATOR.value],
        info={},
        status="approved",
        registered_at=ctx.time,
        reviewed_by=ctx.signer,
        credit=Credit(certified_at=ctx.time),
    )
    return {"operator": ctx.signer}


def add_reviewer(ctx: Context) -> dict[str, Any]:
    """The operator adds a reviewer."""
    if ctx.signer != ctx.state.operator:
        raise refuse(TxReason.NOT_OPERATOR, f"signer {ctx.signer} is not the operator")
    account = ctx.args["account"]
    if account in ctx.state.reviewers:
        raise refuse(TxReason.ALREADY_REVIEWER, f"account {account} is already a reviewer")
    ctx.state.reviewers.add(account)
    return {"reviewer": account}


def register_enterprise(ctx: Context) -> dict[str, Any]:
    """An enterprise applies (or re-applies) for certification."""
    existing = ctx.state.enterprises.get(ctx.signer)
    if existing is not None and existing.status == "approved":
        raise refuse(TxReason.ALREADY_CERTIFIED, f"enterprise {ctx.signer} is already certified")
    credit = existing.credit if existing is not None else Credit()
    ctx.state.enterprises[ctx.signer] = Enterprise(
        account=ctx.signer,
        name=ctx.args["name"],
        roles=ctx.args["roles"],
        info=ctx.args["info"],
        status="pending",
        registered_at=ctx.time,
        credit=credit,
        reviews_given=existing.reviews_given if existing is not None else [],
    )
    return {"enterprise": ctx.signer, "status": "pending"}


def review_enterprise(ctx: Context) -> dict[str, Any]:
    """A reviewer approves or rejects a pending application."""
    reviewer(ctx)
    account, decision, reason = ctx.args["enterprise"], ctx.args["decision"], ctx.args["reason"]
    if account == ctx.signer:
        # Separation of duties: another reviewer certifies a reviewer's own enterprise.
        raise refuse(TxReason.SELF_REVIEW, f"reviewer {account} cannot review its own registration")
    found = ctx.state.enterprises.get(account)
    if found is None:
        raise refuse(TxReason.UNKNOWN_ENTERPRISE, f"enterprise {account} is not registered")
    if found.status != "pending":
        raise refuse(TxReason.NOT_PENDING, f"enterprise {account} is {found.status}, not pending")
    if decision == "reject" and not reason:
        raise refuse(TxReason.BAD_ARGS, "argument 'reason' is '', a rejection needs a reason")
    found.reviewed_by = ctx.signer
    found.review_reason = reason
    if decision == "approve":
        found.status = "approved"
        found.credit.certified_at = ctx.time
    else:
        found.status = "rejected"
        found.credit.rejections += 1
    return {"enterprise": account, "status": found.status}


def _delivered_to(ctx: Context, client: str, service: str) -> bool:
    market = ctx.state.market
    orders = (market.orders[o] for o in market.service_orders.get(service, []))
    return any(o.client == client and o.status == "delivered" for o in orders)


def review_service(ctx: Context) -> dict[str, Any]:
    """A certified enterprise rates a third-party service, once, after the service delivered to it."""
    author = certified(ctx, ctx.signer)
    service = ctx.args["service"]
    if service == ctx.signer:
        raise refuse(TxReason.SELF_REVIEW, f"enterprise {service} cannot review itself")
    target = certified(ctx, service, (Role.SERVICE,), what="service")
    if service in author.reviews_given:
        raise refuse(TxReason.ALREADY_REVIEWED, f"{ctx.signer} has already reviewed service {service}")
    # Only entries from the rule's start are held to it: an older one in the log replays as it applied.
    if ctx.time >= REVIEW_NEEDS_DELIVERY_FROM and not _delivered_to(ctx, ctx.signer, service):
        raise refuse(
            TxReason.NOT_DELIVERED,
            f"service {service} has delivered no order to {ctx.signer}: a review follows a delivery",
        )
    author.reviews_given.append(service)
    target.credit.reviews_received += 1
    target.credit.rating_sum += ctx.args["rating"]
    return {"service": service, "reviews": target.credit.reviews_received}
