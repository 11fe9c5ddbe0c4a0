"""Requests, listings and proposals: each rule and its refusal, and a request matched into a lease."""

from __future__ import annotations

from backend.ledger import Ledger
from chain_client.ledger import TxReason
from chain_client.ledger.schema import MAX_OPEN_REQUESTS, MAX_PROPOSALS
from tests.backend.market_world import market
from tests.backend.world import DAY, World


def test_a_request_matched_to_a_listing_becomes_a_lease(world: World, ledger: Ledger) -> None:
    m = market(world)
    request, listing = m.request(), m.listing()
    offer = world.do(m.maker, "propose", **m.proposal_args(request, listing))
    # A new lessee has a thin file: the policy lets the owner ask the whole listed deposit.
    assert (offer["request"], offer["listing"], offer["deposit_cap"]) == (request, listing, 5000)
    lease = ledger.state.leases[offer["lease"]]
    assert (lease.lessee, lease.token, lease.fixed_rent, lease.usage_rate) == (
        m.lessee.account,
        m.token,
        1000,
        36,
    )
    assert lease.end - lease.start == 3 * DAY
    before = world.balance(m.lessee)
    signed = world.do(m.lessee, "sign_lease", lease=offer["lease"])
    assert signed["request"] == request
    assert world.balance(m.lessee) == before - 5000
    found = ledger.state.market
    assert (found.requests[request].status, found.requests[request].lease) == ("matched", lease.id)
    assert found.listings[listing].status == "leased"
    world.refused(TxReason.REQUEST_NOT_OPEN, m.maker, "propose", **m.proposal_args(request, listing))


def test_request_rules(world: World, ledger: Ledger) -> None:
    m = market(world)
    now = world.clock.now
    world.refused(TxReason.ROLE_NOT_ALLOWED, m.maker, "post_request", **m.request_args())
    world.refused(TxReason.BAD_ARGS, m.lessee, "post_request", **m.request_args(expires=now))
    world.refused(TxReason.BAD_ARGS, m.lessee, "post_request", **m.request_args(hours=745))
    world.refused(TxReason.BAD_ARGS, m.lessee, "post_request", **m.request_args(kind="x" * 201))
    world.refused(TxReason.BAD_ARGS, m.lessee, "post_request", **m.request_args(term=3661 * DAY))
    request = m.request()
    world.refused(TxReason.NOT_REQUESTER, m.maker, "withdraw_request", request=request)
    world.refused(TxReason.UNKNOWN_REQUEST, m.lessee, "withdraw_request", request="req-0000")
    listing = m.listing()
    offer = world.do(m.maker, "propose", **m.proposal_args(request, listing))["lease"]
    assert world.do(m.lessee, "withdraw_request", request=request)["voided"] == [offer]
    world.refused(TxReason.REQUEST_NOT_OPEN, m.lessee, "withdraw_request", request=request)
    world.refused(TxReason.OFFER_VOID, m.lessee, "sign_lease", lease=offer)


def test_open_requests_per_lessee_are_bounded_and_expiry_frees_them(world: World) -> None:
    m = market(world)
    for _ in range(MAX_OPEN_REQUESTS):
        m.request(expires=world.clock.now + DAY)
    world.refused(TxReason.TOO_MANY_REQUESTS, m.lessee, "post_request", **m.request_args())
    world.clock.advance(DAY)
    m.request()


def test_listing_rules(world: World, ledger: Ledger) -> None:
    m = market(world)
    world.refused(TxReason.NOT_OWNER, m.lessee, "list_machine", **m.listing_args())
    world.refused(
        TxReason.TERM_OUT_OF_RANGE, m.maker, "list_machine", **m.listing_args(min_term=2 * DAY, max_term=DAY)
    )
    world.refused(TxReason.TERM_OUT_OF_RANGE, m.maker, "list_machine", **m.listing_args(min_term=DAY + 1))
    world.refused(TxReason.TERM_OUT_OF_RANGE, m.maker, "list_machine", **m.listing_args(max_term=3661 * DAY))
    listing = m.listing()
    world.refused(TxReason.TOKEN_LISTED, m.maker, "list_machine", **m.listing_args())
    world.refused(TxReason.NOT_OWNER, m.lessee, "unlist", listing=listing)
    world.refused(TxReason.UNKNOWN_LISTING, m.maker, "unlist", listing="list-0000")
    world.do(m.maker, "unlist", listing=listing)
    world.refused(TxReason.LISTING_NOT_ACTIVE, m.maker, "unlist", listing=listing)
    again = m.listing(fixed_rent=900)
    assert ledger.state.market.listed[m.token] == again


def test_a_transfer_takes_a_listing_off_the_market(world: World, ledger: Ledger) -> None:
    m = market(world)
    buyer = world.enterprise("buyer", "manufacturer")
    request, listing = m.request(), m.listing()
    world.do(m.maker, "transfer_token", token=m.token, to=buyer.account)
    world.refused(TxReason.LISTING_NOT_ACTIVE, m.maker, "propose", **m.proposal_args(request, listing))
    # The new owner lists it anew; the former owner's listing is closed on the way.
    mine = world.do(buyer, "list_machine", **m.listing_args())["listing"]
    assert ledger.state.market.listings[listing].status == "unlisted"
    world.do(buyer, "propose", **m.proposal_args(request, mine))


def test_proposal_rules(world: World) -> None:
    m = market(world)
    request, listing = m.request(), m.listing()
    other = world.enterprise("other", "manufacturer")
    world.refused(TxReason.NOT_OWNER, other, "propose", **m.proposal_args(request, listing))
    world.refused(TxReason.UNKNOWN_REQUEST, m.maker, "propose", **m.proposal_args("req-0000", listing))
    world.refused(TxReason.UNKNOWN_LISTING, m.maker, "propose", **m.proposal_args(request, "list-0000"))
    world.refused(
        TxReason.DEPOSIT_ABOVE_POLICY, m.maker, "propose", **m.proposal_args(request, listing, deposit=5001)
    )
    world.refused(TxReason.BAD_ARGS, m.maker, "propose", **m.proposal_args(request, listing, start=0))
    for over, why in (
        ({"kind": "lathe"}, TxReason.KIND_MISMATCH),
        ({"specs": {"spindle": "20kW"}}, TxReason.KIND_MISMATCH),
        ({"term": 40 * DAY}, TxReason.TERM_OUT_OF_RANGE),
        ({"term": DAY + 7}, TxReason.TERM_OUT_OF_RANGE),
        # 30 days of 1000 and 100 h at 36 an hour: 33,600 a month.
        ({"budget": 33_599}, TxReason.OVER_BUDGET),
    ):
        unfit = m.request(**over)
        world.refused(why, m.maker, "propose", **m.proposal_args(unfit, listing))
    world.do(m.maker, "propose", **m.proposal_args(m.request(budget=33_600), listing))
    world.clock.advance(7 * DAY)
    world.refused(TxReason.REQUEST_NOT_OPEN, m.maker, "propose", **m.proposal_args(request, listing))


def test_pending_proposals_per_request_are_bounded(world: World) -> None:
    m = market(world)
    request, listing = m.request(), m.listing()
    for _ in range(MAX_PROPOSALS):
        world.do(m.maker, "propose", **m.proposal_args(request, listing))
    world.refused(TxReason.TOO_MANY_PROPOSALS, m.maker, "propose", **m.proposal_args(request, listing))
