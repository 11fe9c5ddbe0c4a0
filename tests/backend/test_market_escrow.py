"""Guarantees and service orders: money held in escrow and moved only by their rules."""

from __future__ import annotations

import hashlib
from typing import Any

from backend.ledger import Ledger
from chain_client.ledger import TxReason
from chain_client.ledger.schema import MAX_GUARANTEES, MAX_OPEN_ORDERS
from chain_client.market.report import sign_report
from tests.backend.market_world import Market, market
from tests.backend.world import DAY, World

REPORT = hashlib.sha256(b"inspection report SN-1, spindle runout 3 um").digest()


def _escrow(world: World, account: str) -> int:
    return world.ledger.state.books.balance(account)


def test_guarantee_rules(world: World, ledger: Ledger) -> None:
    m = market(world)
    until = world.clock.now + 10 * DAY
    args: dict[str, Any] = {"token": m.token, "kind": "salvage", "amount": 10_000, "until": until}
    world.refused(TxReason.ROLE_NOT_ALLOWED, m.lessee, "post_guarantee", **args)
    other = world.enterprise("other", "manufacturer")
    world.refused(TxReason.NOT_OWNER, other, "post_guarantee", **args)
    world.refused(TxReason.BAD_ARGS, m.maker, "post_guarantee", **{**args, "amount": 10_001})
    world.refused(TxReason.BAD_ARGS, m.maker, "post_guarantee", **{**args, "until": world.clock.now})
    world.refused(TxReason.BAD_ARGS, m.maker, "post_guarantee", **{**args, "kind": "bond"})
    world.refused(
        TxReason.INSUFFICIENT_FUNDS,
        m.maker,
        "post_guarantee",
        **{**args, "kind": "security", "amount": 10**7},
    )
    gid = world.do(m.maker, "post_guarantee", **args)["guarantee"]
    assert _escrow(world, f"guarantee:{gid}") == 10_000
    world.refused(TxReason.GUARANTEE_LOCKED, m.lessee, "settle_guarantee", guarantee=gid)
    world.refused(TxReason.UNKNOWN_GUARANTEE, m.lessee, "settle_guarantee", guarantee="guar-0000")
    for _ in range(MAX_GUARANTEES - 1):
        world.do(m.maker, "post_guarantee", **{**args, "amount": 1})
    world.refused(TxReason.TOO_MANY_GUARANTEES, m.maker, "post_guarantee", **args)


def test_a_salvage_guarantee_pays_the_owner_of_a_retired_machine(world: World, ledger: Ledger) -> None:
    m = market(world)
    buyer = world.enterprise("buyer", "investor")
    until = world.clock.now + 10 * DAY
    gid = world.do(m.maker, "post_guarantee", token=m.token, kind="salvage", amount=10_000, until=until)[
        "guarantee"
    ]
    world.do(m.maker, "transfer_token", token=m.token, to=buyer.account)
    world.do(buyer, "set_token_status", token=m.token, status="retired")
    settled = world.do(m.lessee, "settle_guarantee", guarantee=gid)
    assert (settled["status"], settled["paid_to"], settled["why"]) == (
        "claimed",
        buyer.account,
        "token retired",
    )
    assert world.balance(buyer) == 10_000
    world.refused(TxReason.GUARANTEE_SETTLED, m.lessee, "settle_guarantee", guarantee=gid)


def test_a_security_guarantee_is_claimed_on_default_and_released_otherwise(
    world: World, ledger: Ledger
) -> None:
    m = market(world)
    now = world.clock.now
    security = world.do(
        m.maker, "post_guarantee", token=m.token, kind="security", amount=7_000, until=now + 90 * DAY
    )
    spare = world.do(m.maker, "post_guarantee", token=m.token, kind="security", amount=3_000, until=now + DAY)
    lease = world.do(m.maker, "offer_lease", **world.lease_terms(m.token, m.lessee))["lease"]
    world.do(m.lessee, "sign_lease", lease=lease)
    world.clock.advance(DAY)
    world.do(m.maker, "issue_invoice", lease=lease, period=0)
    maker_before = world.balance(m.maker)
    released = world.do(m.lessee, "settle_guarantee", guarantee=spare["guarantee"])
    assert (released["status"], world.balance(m.maker)) == ("released", maker_before + 3_000)
    world.clock.advance(30 * DAY)  # due one hour after the period: 30 days on it is not yet over 30 days
    world.refused(TxReason.GUARANTEE_LOCKED, m.maker, "settle_guarantee", guarantee=security["guarantee"])
    world.clock.advance(3601)
    claimed = world.do(m.maker, "settle_guarantee", guarantee=security["guarantee"])
    assert claimed["status"] == "claimed"
    assert claimed["why"].startswith(f"invoice {lease}.0 over 30 days past due")


def _order(m: Market, **over: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "service": m.service.account,
        "subject": m.token,
        "scope": "annual inspection",
        "fee": 2_500,
        "due": m.world.clock.now + 5 * DAY,
    }
    return {**args, **over}


def test_a_service_delivers_a_signed_report_is_paid_and_rated(world: World, ledger: Ledger) -> None:
    m = market(world)
    order = world.do(m.lessee, "engage_service", **_order(m))["order"]
    assert _escrow(world, f"order:{order}") == 2_500
    good = sign_report(m.service.key, order, REPORT)
    world.refused(TxReason.NOT_DELIVERED, m.lessee, "rate_service", order=order, rating=5, comment="")
    world.refused(
        TxReason.NOT_ORDER_SERVICE, m.maker, "deliver_report", order=order, report=REPORT, signature=good
    )
    forged = sign_report(m.maker.key, order, REPORT)
    world.refused(
        TxReason.BAD_REPORT_SIGNATURE,
        m.service,
        "deliver_report",
        order=order,
        report=REPORT,
        signature=forged,
    )
    other = sign_report(m.service.key, "order-other", REPORT)
    world.refused(
        TxReason.BAD_REPORT_SIGNATURE,
        m.service,
        "deliver_report",
        order=order,
        report=REPORT,
        signature=other,
    )
    world.refused(
        TxReason.BAD_ARGS, m.service, "deliver_report", order=order, report=REPORT[:31], signature=good
    )
    world.do(m.service, "deliver_report", order=order, report=REPORT, signature=good)
    assert (world.balance(m.service), _escrow(world, f"order:{order}")) == (2_500, 0)
    world.refused(
        TxReason.ORDER_NOT_OPEN, m.service, "deliver_report", order=order, report=REPORT, signature=good
    )
    world.refused(TxReason.NOT_CLIENT, m.maker, "rate_service", order=order, rating=5, comment="")
    world.refused(TxReason.BAD_ARGS, m.lessee, "rate_service", order=order, rating=6, comment="")
    world.do(m.lessee, "rate_service", order=order, rating=4, comment="on time, clear report")
    world.refused(TxReason.ALREADY_RATED, m.lessee, "rate_service", order=order, rating=5, comment="")
    found = ledger.state.market.orders[order]
    assert (found.status, found.rating, found.report) == ("delivered", 4, REPORT)


def test_engagement_rules_and_a_cancelled_order(world: World, ledger: Ledger) -> None:
    m = market(world)
    pending = world.enterprise("pending", "service", approve=False)
    world.refused(TxReason.NOT_CERTIFIED, m.lessee, "engage_service", **_order(m, service=pending.account))
    world.refused(TxReason.ROLE_NOT_ALLOWED, m.lessee, "engage_service", **_order(m, service=m.maker.account))
    world.refused(TxReason.SELF_REVIEW, m.service, "engage_service", **_order(m))
    world.refused(TxReason.UNKNOWN_TOKEN, m.lessee, "engage_service", **_order(m, subject="tok-0000"))
    world.refused(TxReason.UNKNOWN_LEASE, m.lessee, "engage_service", **_order(m, subject="lease-0000"))
    world.refused(TxReason.BAD_ARGS, m.lessee, "engage_service", **_order(m, due=world.clock.now))
    world.refused(TxReason.INSUFFICIENT_FUNDS, m.lessee, "engage_service", **_order(m, fee=10**7))
    order = world.do(m.lessee, "engage_service", **_order(m))["order"]
    world.refused(TxReason.NOT_CLIENT, m.maker, "cancel_service", order=order)
    world.refused(TxReason.ORDER_NOT_DUE, m.lessee, "cancel_service", order=order)
    world.refused(TxReason.UNKNOWN_ORDER, m.lessee, "cancel_service", order="order-0000")
    before = world.balance(m.lessee)
    world.clock.advance(5 * DAY)
    assert world.do(m.lessee, "cancel_service", order=order)["refunded"] == 2_500
    assert world.balance(m.lessee) == before + 2_500
    signature = sign_report(m.service.key, order, REPORT)
    world.refused(
        TxReason.ORDER_NOT_OPEN, m.service, "deliver_report", order=order, report=REPORT, signature=signature
    )
    world.refused(TxReason.NOT_DELIVERED, m.lessee, "rate_service", order=order, rating=1, comment="")


def test_open_orders_per_client_are_bounded(world: World) -> None:
    m = market(world)
    for _ in range(MAX_OPEN_ORDERS):
        world.do(m.lessee, "engage_service", **_order(m, fee=1))
    world.refused(TxReason.TOO_MANY_ORDERS, m.lessee, "engage_service", **_order(m, fee=1))
