"""A review of a service (review_service) follows a delivery to the reviewer; older reviews still replay."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from backend.ledger import Ledger
from chain_client.ledger import TxReason
from chain_client.ledger.schema import REVIEW_NEEDS_DELIVERY_FROM
from chain_client.market.report import sign_report
from tests.backend.market_world import Market, market
from tests.backend.test_checkpoints import _open
from tests.backend.world import DAY, Clock, Party, World

REPORT = hashlib.sha256(b"inspection report").digest()


def _engage(m: Market, client: Party) -> str:
    due = m.world.clock.now + DAY
    found = m.world.do(
        client, "engage_service", service=m.service.account, subject=m.token, scope="check", fee=100, due=due
    )
    return str(found["order"])


def _deliver(m: Market, order: str) -> None:
    signature = sign_report(m.service.key, order, REPORT)
    m.world.do(m.service, "deliver_report", order=order, report=REPORT, signature=signature)


def _review(world: World, reviewer: Party, service: Party, rating: int = 4) -> dict[str, object]:
    return world.do(reviewer, "review_service", service=service.account, rating=rating, comment="")


def _refused(world: World, reviewer: Party, service: Party) -> None:
    world.refused(
        TxReason.NOT_DELIVERED, reviewer, "review_service", service=service.account, rating=4, comment=""
    )


def test_only_a_client_the_service_delivered_to_may_review_it(world: World, ledger: Ledger) -> None:
    m = market(world)
    world.clock.now = REVIEW_NEEDS_DELIVERY_FROM
    _refused(world, m.lessee, m.service)  # no order at all
    late = _engage(m, m.lessee)
    _refused(world, m.lessee, m.service)  # engaged, not delivered
    world.clock.advance(DAY)
    world.do(m.lessee, "cancel_service", order=late)
    _refused(world, m.lessee, m.service)  # a cancelled order is no delivery
    _deliver(m, _engage(m, m.maker))
    _refused(world, m.lessee, m.service)  # delivered to another client
    assert _review(world, m.maker, m.service, rating=5)["reviews"] == 1
    _deliver(m, _engage(m, m.lessee))
    assert _review(world, m.lessee, m.service, rating=2)["reviews"] == 2
    world.refused(
        TxReason.ALREADY_REVIEWED, m.lessee, "review_service", service=m.service.account, rating=1, comment=""
    )
    credit = ledger.state.enterprises[m.service.account].credit
    assert (credit.reviews_received, credit.rating_sum) == (2, 7)
    book = ledger.state.credit_book.parties[m.service.account]
    assert sorted(r.rating for r in book.ratings) == [2, 5]


def test_a_review_logged_before_the_rule_started_applies_and_replays_as_it_did(
    make_ledger: Callable[..., Ledger], clock: Clock
) -> None:
    ledger = make_ledger(checkpoint_every=3)
    world = World(ledger, clock)
    m = market(world)
    assert clock.now < REVIEW_NEEDS_DELIVERY_FROM
    _review(world, m.lessee, m.service)  # no delivery: the rule was not yet in force
    clock.now = REVIEW_NEEDS_DELIVERY_FROM - 1
    _review(world, m.maker, m.service, rating=1)  # the last second before it
    other = world.enterprise("other", "investor")
    clock.now = REVIEW_NEEDS_DELIVERY_FROM
    _refused(world, other, m.service)
    digest, size = ledger.digest(), ledger.size
    quick, full = _open(ledger), _open(ledger, full=True)
    try:
        assert quick.started_from > 0
        assert (quick.digest(), quick.size) == (full.digest(), full.size) == (digest, size)
        credit = full.state.enterprises[m.service.account].credit
        assert (credit.reviews_received, credit.rating_sum) == (2, 5)
    finally:
        quick.close()
        full.close()
