"""The ledger's credit scores equal an auditor's, recomputed from the stored log alone."""

from __future__ import annotations

import hashlib

from backend.ledger import Ledger
from chain_client.credit.replay import replay
from chain_client.credit.score import score
from chain_client.market.report import sign_report
from tests.backend.market_world import market
from tests.backend.world import DAY, T0, World, batch_args, reading, seeded_key

HOUR = 3600


def _auditor_scores(ledger: Ledger, accounts: list[str]) -> dict[str, dict[str, object]]:
    raw = [row.entry for row in ledger.storage.log_rows()]
    book = replay(raw, ledger.storage.batch_messages)
    return {a: score(book, a).to_json() for a in accounts}


def _ledger_scores(ledger: Ledger, accounts: list[str]) -> dict[str, dict[str, object]]:
    return {a: score(ledger.state.credit_book, a).to_json() for a in accounts}


def test_scores_recomputed_from_the_log_equal_the_ledgers(world: World, ledger: Ledger) -> None:
    m = market(world)
    gateway = world.enterprise("gateway", "service")
    device, spare, stray = seeded_key("eq-dev"), seeded_key("eq-dev-2"), seeded_key("eq-stray")
    world.do(m.maker, "bind_device", token=m.token, public_key=bytes(device.verify_key))
    request, listing = m.request(term=4 * DAY), m.listing()
    lease = world.do(m.maker, "propose", **m.proposal_args(request, listing))["lease"]
    world.do(m.lessee, "sign_lease", lease=lease)
    world.do(m.maker, "post_guarantee", token=m.token, kind="security", amount=1000, until=T0 + 90 * DAY)
    # Readings over the first day, every other hour; one forged, one of a key never bound.
    good = [reading(device, seq=i, time=T0 + i * 2 * HOUR, run_seconds=i * 600) for i in range(1, 12)]
    forged = bytearray(reading(device, seq=50, time=T0 + 23 * HOUR, run_seconds=9000))
    forged[-1] ^= 1
    unbound = reading(stray, seq=1, time=T0 + 21 * HOUR)
    world.do(gateway, "anchor_batch", **batch_args([*good, bytes(forged), unbound]))
    world.clock.advance(DAY)
    # A rotation: the old key's readings from before it still count, the new key's after it.
    world.do(m.maker, "rotate_device", token=m.token, public_key=bytes(spare.verify_key))
    late_old = reading(device, seq=60, time=T0 + DAY - 1800, run_seconds=9900)
    after_old = reading(device, seq=61, time=T0 + DAY + 3 * HOUR, run_seconds=9990)
    new = [reading(spare, seq=i, time=T0 + DAY + i * HOUR, run_seconds=100 * i) for i in range(1, 6)]
    world.do(gateway, "anchor_batch", **batch_args([late_old, after_old, *new]))
    world.do(m.maker, "issue_invoice", lease=lease, period=0)
    world.do(m.lessee, "pay_invoice", invoice=f"{lease}.0")
    world.clock.advance(DAY)
    world.do(m.maker, "issue_invoice", lease=lease, period=1)
    world.clock.advance(12 * DAY)
    world.do(m.lessee, "pay_invoice", invoice=f"{lease}.1")
    world.do(m.maker, "issue_invoice", lease=lease, period=2)
    order = world.do(
        m.lessee,
        "engage_service",
        service=m.service.account,
        subject=lease,
        scope="inspection",
        fee=100,
        due=world.clock.now + DAY,
    )["order"]
    report = hashlib.sha256(b"report").digest()
    world.do(
        m.service,
        "deliver_report",
        order=order,
        report=report,
        signature=sign_report(m.service.key, order, report),
    )
    world.do(m.lessee, "rate_service", order=order, rating=5, comment="thorough")
    world.do(m.maker, "review_service", service=m.service.account, rating=2, comment="slow")
    world.clock.advance(40 * DAY)
    world.fund(gateway, 1)  # an entry to move the log's time: the score is at the last entry's time
    accounts = [m.lessee.account, m.maker.account, m.service.account, gateway.account, world.operator.account]
    mine = _ledger_scores(ledger, accounts)
    assert mine == _auditor_scores(ledger, accounts)
    lessee = mine[m.lessee.account]
    texts = [line["text"] for line in lessee["lines"]]  # type: ignore[attr-defined]
    assert f"\u22128: invoice {lease}.1 paid 12 days late" in texts, texts
    assert any(t.startswith(f"\u221215: lease {lease} defaulted: invoice {lease}.2") for t in texts), texts
    covered = [t for t in texts if t.startswith(("+", "\u2212")) and "telemetry covered" in t]
    # 11 + 1 + 5 distinct hours of the 96 the lease ran: 17 of 96.
    assert covered == ["\u22127: telemetry covered 17 of 96 expected hours (17%)"], covered
    assert mine[m.service.account]["factors"] == {
        "tenure": 1,
        "payments": 0,
        "leases": 0,
        "security": 0,
        "telemetry": 0,
        "reviews": 2,
    }
