"""Lease offers against a hostile owner: transfers and status changes end them, they expire and
can be withdrawn, and their fees stay within the terms the token's investors bought into."""

from __future__ import annotations

from backend.ledger import Ledger
from chain_client.ledger import TxReason
from chain_client.ledger.schema import MAX_OPEN_OFFERS
from tests.backend.world import DAY, Party, World


def _setup(world: World, **mint: object) -> tuple[Party, Party, str]:
    maker = world.enterprise("maker", "manufacturer")
    lessee = world.enterprise("lessee", "lessee")
    world.fund(lessee, 100_000)
    return maker, lessee, world.mint(maker, "SN-1", **mint)  # type: ignore[arg-type]


def test_a_transfer_voids_the_former_owners_offers(world: World, ledger: Ledger) -> None:
    """The attack: offer with a 100 % fee to itself, transfer the token, then the lessee signs."""
    maker = world.enterprise("maker", "manufacturer")
    lessee = world.enterprise("lessee", "lessee")
    buyer = world.enterprise("buyer", "manufacturer")
    world.fund(lessee, 100_000)
    token = world.mint(maker, "SN-1", fee_terms=[(maker, 10_000)])
    greedy = world.lease_terms(token, lessee, fees=[{"account": maker.account, "bps": 10_000}])
    lease = world.do(maker, "offer_lease", **greedy)["lease"]
    moved = world.do(maker, "transfer_token", token=token, to=buyer.account)
    assert moved["voided"] == [lease]
    world.refused(TxReason.OFFER_VOID, lessee, "sign_lease", lease=lease)
    found = ledger.state.tokens[token]
    assert (found.status, found.lease, found.offers) == ("warehoused", "", [])
    assert ledger.state.leases[lease].status == "void"
    # The new owner is free to offer and to retire the machine.
    world.do(buyer, "offer_lease", **world.lease_terms(token, lessee))
    world.do(buyer, "set_token_status", token=token, status="retired")


def test_a_status_change_voids_open_offers(world: World, ledger: Ledger) -> None:
    maker, lessee, token = _setup(world)
    lease = world.do(maker, "offer_lease", **world.lease_terms(token, lessee))["lease"]
    world.do(maker, "set_token_status", token=token, status="in_transit")
    world.refused(TxReason.OFFER_VOID, lessee, "sign_lease", lease=lease)
    assert ledger.state.leases[lease].end_reason == "token status changed to in_transit"


def test_signing_one_offer_voids_the_others(world: World, ledger: Ledger) -> None:
    """A months-old offer can't be signed once another lease on the token came and went."""
    maker, lessee, token = _setup(world)
    rival = world.enterprise("rival", "lessee")
    world.fund(rival, 100_000)
    old = world.do(maker, "offer_lease", **world.lease_terms(token, rival, end=world.clock.now + 90 * DAY))
    first = world.do(maker, "offer_lease", **world.lease_terms(token, lessee))["lease"]
    signed = world.do(lessee, "sign_lease", lease=first)
    assert signed["voided"] == [old["lease"]]
    world.refused(TxReason.OFFER_VOID, rival, "sign_lease", lease=old["lease"])


def test_offers_expire_and_can_be_withdrawn(world: World, ledger: Ledger) -> None:
    maker, lessee, token = _setup(world)
    now = world.clock.now
    world.refused(TxReason.BAD_ARGS, maker, "offer_lease", **world.lease_terms(token, lessee, expires=now))
    world.refused(
        TxReason.BAD_ARGS, maker, "offer_lease", **world.lease_terms(token, lessee, expires=now + 4 * DAY)
    )
    short = world.do(maker, "offer_lease", **world.lease_terms(token, lessee, expires=now + 3600))["lease"]
    kept = world.do(maker, "offer_lease", **world.lease_terms(token, lessee))["lease"]
    world.refused(TxReason.NOT_LESSOR, lessee, "cancel_offer", lease=kept)
    world.do(maker, "cancel_offer", lease=kept)
    world.refused(TxReason.LEASE_NOT_PENDING, maker, "cancel_offer", lease=kept)
    world.refused(TxReason.OFFER_WITHDRAWN, lessee, "sign_lease", lease=kept)
    world.clock.advance(3600)
    world.refused(TxReason.OFFER_EXPIRED, lessee, "sign_lease", lease=short)
    assert ledger.state.tokens[token].offers == [short]


def test_open_offers_per_token_are_bounded(world: World) -> None:
    maker, lessee, token = _setup(world)
    for _ in range(MAX_OPEN_OFFERS):
        world.do(maker, "offer_lease", **world.lease_terms(token, lessee))
    world.refused(TxReason.TOO_MANY_OFFERS, maker, "offer_lease", **world.lease_terms(token, lessee))


def test_fees_stay_within_the_terms_investors_bought_into(world: World, ledger: Ledger) -> None:
    """The attack: a 10,000 bps fee to the owner leaves a 99 % investor with nothing."""
    platform = world.operator
    maker, lessee, token = _setup(world, fee_terms=[(platform, 300)])
    investor = world.enterprise("investor", "investor")
    world.fund(investor, 10_000)
    world.do(investor, "buy_shares", token=token, count=99)
    to_self = [{"account": maker.account, "bps": 10_000}]
    world.refused(
        TxReason.FEES_EXCEED_TERMS, maker, "offer_lease", **world.lease_terms(token, lessee, fees=to_self)
    )
    too_much = [{"account": platform.account, "bps": 301}]
    world.refused(
        TxReason.FEES_EXCEED_TERMS, maker, "offer_lease", **world.lease_terms(token, lessee, fees=too_much)
    )
    fair = [{"account": platform.account, "bps": 300}]
    lease = world.do(maker, "offer_lease", **world.lease_terms(token, lessee, fees=fair))["lease"]
    # Terms are only ever lowered; an offer made under higher terms can no longer be signed.
    world.refused(TxReason.FEES_EXCEED_TERMS, maker, "set_fee_terms", token=token, fee_terms=to_self)
    world.refused(
        TxReason.FEES_EXCEED_TERMS,
        maker,
        "set_fee_terms",
        token=token,
        fee_terms=[{"account": platform.account, "bps": 400}],
    )
    world.do(maker, "set_fee_terms", token=token, fee_terms=[{"account": platform.account, "bps": 100}])
    world.refused(TxReason.FEES_EXCEED_TERMS, lessee, "sign_lease", lease=lease)
    assert ledger.state.tokens[token].fee_terms == [(platform.account, 100)]
