"""Leases (at most one active per token), invoices, payments and their rejections."""

from __future__ import annotations

from typing import Any

from backend.ledger import Ledger
from chain_client.ledger import TxReason
from chain_client.ledger.schema import MAX_LEASE_PERIODS
from tests.backend.world import DAY, Party, World


def _setup(world: World) -> tuple[Party, Party, str]:
    maker = world.enterprise("maker", "manufacturer")
    lessee = world.enterprise("lessee", "lessee")
    world.fund(lessee, 100_000)
    return maker, lessee, world.mint(maker, "SN-1")


def test_offer_rules(world: World) -> None:
    maker, lessee, token = _setup(world)
    investor = world.enterprise("inv", "investor")
    pending = world.enterprise("pending", "service", approve=False)
    terms = world.lease_terms(token, lessee)
    world.refused(TxReason.NOT_OWNER, lessee, "offer_lease", **terms)
    world.refused(TxReason.ROLE_NOT_ALLOWED, maker, "offer_lease", **{**terms, "lessee": investor.account})
    world.refused(TxReason.BAD_PERIOD, maker, "offer_lease", **{**terms, "end": terms["start"] + DAY + 1})
    world.refused(TxReason.BAD_PERIOD, maker, "offer_lease", **{**terms, "end": terms["start"]})
    world.refused(
        TxReason.NOT_CERTIFIED,
        maker,
        "offer_lease",
        **{**terms, "fees": [{"account": pending.account, "bps": 100}]},
    )
    world.refused(
        TxReason.BAD_ARGS,
        maker,
        "offer_lease",
        **{**terms, "fees": [{"account": investor.account, "bps": 10_001}]},
    )
    world.refused(TxReason.UNKNOWN_LEASE, lessee, "sign_lease", lease="lease-nope")


def test_double_leasing_is_refused(world: World, ledger: Ledger) -> None:
    maker, lessee, token = _setup(world)
    rival = world.enterprise("rival", "lessee")
    world.fund(rival, 10_000)
    first = world.do(maker, "offer_lease", **world.lease_terms(token, lessee))["lease"]
    second = world.do(maker, "offer_lease", **world.lease_terms(token, rival))["lease"]
    world.refused(TxReason.NOT_LESSEE, rival, "sign_lease", lease=first)
    world.do(lessee, "sign_lease", lease=first)
    world.refused(TxReason.LEASE_NOT_PENDING, lessee, "sign_lease", lease=first)
    world.refused(TxReason.OFFER_VOID, rival, "sign_lease", lease=second)
    world.refused(TxReason.TOKEN_ALREADY_LEASED, maker, "offer_lease", **world.lease_terms(token, rival))
    found = ledger.state.tokens[token]
    assert (found.lease, found.user, found.status) == (first, lessee.account, "leased")
    world.refused(TxReason.BAD_STATUS_TRANSITION, maker, "set_token_status", token=token, status="retired")


def test_transfers_do_not_end_a_lease(world: World, ledger: Ledger) -> None:
    maker, lessee, token = _setup(world)
    buyer = world.enterprise("buyer", "manufacturer", "investor")
    lease = world.do(maker, "offer_lease", **world.lease_terms(token, lessee))["lease"]
    world.do(lessee, "sign_lease", lease=lease)
    world.do(maker, "transfer_token", token=token, to=buyer.account)
    world.do(maker, "transfer_shares", token=token, to=buyer.account, count=50)
    found = ledger.state.tokens[token]
    assert (found.owner, found.user, found.lease) == (buyer.account, lessee.account, lease)
    world.clock.advance(DAY)
    world.refused(TxReason.NOT_OWNER, maker, "issue_invoice", lease=lease, period=0)
    invoice = world.do(buyer, "issue_invoice", lease=lease, period=0)
    assert ledger.state.invoices[invoice["invoice"]].holders == {maker.account: 50, buyer.account: 50}


def test_signing_needs_the_deposit_and_an_unexpired_offer(world: World) -> None:
    maker, lessee, token = _setup(world)
    poor = world.enterprise("poor", "lessee")
    lease = world.do(maker, "offer_lease", **world.lease_terms(token, poor))["lease"]
    world.refused(TxReason.INSUFFICIENT_FUNDS, poor, "sign_lease", lease=lease)
    late = world.do(maker, "offer_lease", **world.lease_terms(token, lessee))["lease"]
    world.clock.advance(3 * DAY)
    world.refused(TxReason.OFFER_EXPIRED, lessee, "sign_lease", lease=late)


def test_invoice_and_payment_rules(world: World, ledger: Ledger) -> None:
    maker, lessee, token = _setup(world)
    terms: dict[str, Any] = world.lease_terms(token, lessee)
    lease = world.do(maker, "offer_lease", **terms)["lease"]
    world.refused(TxReason.LEASE_NOT_ACTIVE, maker, "issue_invoice", lease=lease, period=0)
    world.refused(TxReason.LEASE_NOT_ACTIVE, maker, "close_lease", lease=lease)
    world.do(lessee, "sign_lease", lease=lease)
    world.refused(TxReason.PERIOD_NOT_ENDED, maker, "issue_invoice", lease=lease, period=0)
    world.refused(TxReason.BAD_PERIOD, maker, "issue_invoice", lease=lease, period=3)
    world.clock.advance(DAY)
    invoice = world.do(world.operator, "issue_invoice", lease=lease, period=0)["invoice"]
    world.refused(TxReason.ALREADY_INVOICED, maker, "issue_invoice", lease=lease, period=0)
    world.refused(TxReason.UNKNOWN_INVOICE, lessee, "pay_invoice", invoice="lease-x.0")
    world.refused(TxReason.NOT_LESSEE, maker, "pay_invoice", invoice=invoice)
    world.do(lessee, "pay_invoice", invoice=invoice)
    world.refused(TxReason.ALREADY_PAID, lessee, "pay_invoice", invoice=invoice)
    world.clock.advance(2 * DAY)
    world.refused(TxReason.UNPAID_INVOICES, maker, "close_lease", lease=lease)
    stranger = world.enterprise("stranger", "lessee")
    world.refused(TxReason.NOT_OWNER, stranger, "close_lease", lease=lease)
    broke = world.do(maker, "issue_invoice", lease=lease, period=1)["invoice"]
    world.do(lessee, "withdraw", amount=world.balance(lessee), reference="all")
    world.refused(TxReason.INSUFFICIENT_FUNDS, lessee, "pay_invoice", invoice=broke)
    assert sum(ledger.state.books.balances.values()) == 0


def test_rent_to_many_holders_is_exact_to_the_unit(world: World, ledger: Ledger) -> None:
    maker, lessee, _ = _setup(world)
    service = world.enterprise("svc", "service")
    token = world.mint(maker, "SN-many", shares=5000, share_price=1, fee_terms=[(service, 250)])
    investors = [world.party(f"inv-{i}") for i in range(400)]
    batch: list[bytes] = []
    for i, inv in enumerate(investors):
        batch.append(world.tx(inv, "register_enterprise", name=f"inv-{i}", roles=["investor"], info={}))
        batch.append(
            world.tx(
                world.operator, "review_enterprise", enterprise=inv.account, decision="approve", reason=""
            )
        )
        batch.append(world.tx(world.operator, "deposit", account=inv.account, amount=100, reference="r"))
        batch.append(world.tx(inv, "buy_shares", token=token, count=1 + i % 7))
    outcomes = ledger.submit_many(batch)
    assert all(isinstance(o, dict) for o in outcomes)
    terms = world.lease_terms(
        token, lessee, fixed_rent=98_999, fees=[{"account": service.account, "bps": 250}]
    )
    lease = world.do(maker, "offer_lease", **terms)["lease"]
    world.do(lessee, "sign_lease", lease=lease)
    world.clock.advance(DAY)
    invoice = world.do(maker, "issue_invoice", lease=lease, period=0)["invoice"]
    world.do(lessee, "pay_invoice", invoice=invoice)
    lines = ledger.state.invoices[invoice].payouts
    assert sum(p.amount for p in lines) == 98_999
    assert len(lines) == 1 + 401  # the fee, 400 investors and the maker's unsold shares
    assert all(p.amount >= 0 for p in lines)
    assert [p.amount for p in lines if p.kind == "fee"] == [98_999 * 250 // 10_000]
    assert sum(ledger.state.books.balances.values()) == 0


def test_on_time_is_the_ledgers_judgement_not_the_owners(world: World, ledger: Ledger) -> None:
    """The attack: the owner invoices after period end + grace, so an immediate payment looked late."""
    maker, lessee, token = _setup(world)
    lease = world.do(maker, "offer_lease", **world.lease_terms(token, lessee, grace=3600))["lease"]
    world.do(lessee, "sign_lease", lease=lease)
    world.clock.advance(DAY + 3600 + 1)  # period 0 ended, and so did its grace
    slow = world.do(maker, "issue_invoice", lease=lease, period=0)["invoice"]
    assert ledger.state.invoices[slow].due == world.clock.now + 3600
    assert world.do(lessee, "pay_invoice", invoice=slow)["on_time"] is True
    # The lessee may invoice itself as soon as a period ends; doing so late does not move its due date.
    world.clock.advance(DAY)
    own = world.do(lessee, "issue_invoice", lease=lease, period=1)["invoice"]
    assert ledger.state.invoices[own].due == ledger.state.invoices[own].end + 3600
    assert world.do(lessee, "pay_invoice", invoice=own)["on_time"] is False
    credit = ledger.state.enterprises[lessee.account].credit
    assert (credit.on_time_payments, credit.late_payments) == (1, 1)
    stranger = world.enterprise("stranger", "lessee")
    world.refused(TxReason.NOT_OWNER, stranger, "issue_invoice", lease=lease, period=2)


def test_a_lease_has_a_bounded_number_of_periods(world: World) -> None:
    """The attack: millions of one-second periods, or a lease from 1970, to make closing expensive."""
    maker, lessee, token = _setup(world)
    now = world.clock.now
    many = world.lease_terms(token, lessee, start=now, end=now + 4_000_000, period=1)
    error = world.refused(TxReason.TOO_MANY_PERIODS, maker, "offer_lease", **many)
    assert "4000000 periods" in error.detail
    world.refused(
        TxReason.TOO_MANY_PERIODS, maker, "offer_lease", **world.lease_terms(token, lessee, start=0, period=1)
    )
    most = world.lease_terms(token, lessee, start=now, end=now + MAX_LEASE_PERIODS, period=1)
    lease = world.do(maker, "offer_lease", **most)["lease"]
    world.do(lessee, "sign_lease", lease=lease)
    world.clock.advance(MAX_LEASE_PERIODS)
    error = world.refused(TxReason.UNPAID_INVOICES, lessee, "close_lease", lease=lease)
    assert error.detail.endswith(
        f"has {MAX_LEASE_PERIODS} unpaid or uninvoiced periods: 0, 1, 2, 3, 4 and 3655 more"
    )
    assert len(error.detail) < 200
