"""The marketplace's records and the credit book survive a start from a snapshot and a full replay."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from backend.ledger import Ledger
from chain_client.market.report import sign_report
from tests.backend.market_world import market
from tests.backend.test_checkpoints import _open
from tests.backend.world import Clock, World


def test_a_start_from_a_snapshot_keeps_the_market_and_the_credit_book(
    make_ledger: Callable[..., Ledger], clock: Clock
) -> None:
    ledger = make_ledger(checkpoint_every=4)
    world = World(ledger, clock)
    m = market(world)
    request, listing = m.request(), m.listing()
    lease = world.do(m.maker, "propose", **m.proposal_args(request, listing))["lease"]
    world.do(m.lessee, "sign_lease", lease=lease)
    world.do(m.maker, "post_guarantee", token=m.token, kind="salvage", amount=100, until=clock.now + 1000)
    order = world.do(
        m.lessee,
        "engage_service",
        subject=lease,
        service=m.service.account,
        scope="x",
        fee=5,
        due=clock.now + 10,
    )["order"]
    report = hashlib.sha256(b"r").digest()
    world.do(
        m.service,
        "deliver_report",
        order=order,
        report=report,
        signature=sign_report(m.service.key, order, report),
    )
    world.do(m.lessee, "rate_service", order=order, rating=5, comment="")
    digest, size = ledger.digest(), ledger.size
    quick, full = _open(ledger), _open(ledger, full=True)
    try:
        assert quick.started_from > 0
        assert (quick.digest(), quick.size) == (full.digest(), full.size) == (digest, size)
        assert quick.state.market.requests[request].status == "matched"
        assert quick.state.credit_book.parties[m.service.account].ratings[0].rating == 5
    finally:
        quick.close()
        full.close()
