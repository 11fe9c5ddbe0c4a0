"""An invoice names its evidence: the ledger bills only the readings its own meter proves."""

from __future__ import annotations

import time
from typing import Any

import pytest
from nacl.signing import SigningKey

from backend.ledger import Ledger
from chain_client.ledger import TxReason
from chain_client.ledger.evidence import evidence_digest
from tests.backend.server import Server
from tests.backend.test_http import OPERATOR, Actor
from tests.backend.world import DAY, Party, World, batch_args, reading, seeded_key


def _leased(world: World) -> tuple[Party, Party, Party, SigningKey, str]:
    maker = world.enterprise("maker", "manufacturer")
    lessee = world.enterprise("lessee", "lessee")
    gateway = world.enterprise("gateway", "service")
    world.fund(lessee, 100_000)
    token = world.mint(maker, "SN-1")
    sensor = seeded_key("evidence-sensor")
    world.do(maker, "bind_device", token=token, public_key=bytes(sensor.verify_key))
    lease = world.do(maker, "offer_lease", **world.lease_terms(token, lessee))["lease"]
    world.do(lessee, "sign_lease", lease=lease)
    return maker, lessee, gateway, sensor, lease


def _anchor(world: World, gateway: Party, *messages: bytes) -> int:
    return int(world.do(gateway, "anchor_batch", **batch_args(messages))["batch"])


def test_the_invoice_names_the_readings_that_added_usage_in_its_period(world: World, ledger: Ledger) -> None:
    maker, _, gateway, sensor, lease = _leased(world)
    t = world.clock.now
    first = _anchor(
        world,
        gateway,
        reading(sensor, seq=1, time=t + 10, run_seconds=100),  # baseline: adds nothing
        reading(sensor, seq=2, time=t + 20, run_seconds=160),  # +60
        reading(sensor, seq=3, time=t + 30, run_seconds=160),  # +0: not evidence
    )
    second = _anchor(
        world,
        gateway,
        reading(sensor, seq=4, time=t + DAY + 5, run_seconds=200),  # +40, stamped in period 1
        reading(sensor, seq=5, time=t + 40, run_seconds=230),  # +30, late but stamped in period 0
    )
    world.clock.advance(DAY)
    result = world.do(maker, "issue_invoice", lease=lease, period=0)
    expected = evidence_digest([(first, 1, 60), (second, 1, 30)])
    assert (result["usage_seconds"], result["evidence"], result["evidence_count"]) == (90, expected.hex(), 2)
    assert ledger.state.invoices[result["invoice"]].evidence == expected


def test_a_forged_usage_or_evidence_is_refused_naming_both_values(world: World, ledger: Ledger) -> None:
    maker, _, gateway, sensor, lease = _leased(world)
    t = world.clock.now
    batch = _anchor(
        world,
        gateway,
        reading(sensor, seq=1, time=t + 10, run_seconds=0),
        reading(sensor, seq=2, time=t + 20, run_seconds=600),
        reading(sensor, seq=3, time=t + 30, run_seconds=906),
    )
    world.clock.advance(DAY)
    true = world.evidence(lease, 0)
    assert true == {"usage_seconds": 906, "evidence": evidence_digest([(batch, 1, 600), (batch, 2, 306)])}
    # the same sum from another list of readings: the sum alone would not show it
    forged = evidence_digest([(batch, 2, 906)])
    refusal = world.refused(
        TxReason.EVIDENCE_MISMATCH,
        maker,
        "issue_invoice",
        lease=lease,
        period=0,
        usage_seconds=906,
        evidence=forged,
    )
    assert forged.hex() in refusal.detail
    assert true["evidence"].hex() in refusal.detail
    refusal = world.refused(
        TxReason.EVIDENCE_MISMATCH,
        maker,
        "issue_invoice",
        lease=lease,
        period=0,
        usage_seconds=800,
        evidence=true["evidence"],
    )
    assert "named 800 run-seconds" in refusal.detail
    assert "give 906 run-seconds from 2 readings" in refusal.detail
    world.refused(
        TxReason.BAD_ARGS, maker, "issue_invoice", lease=lease, period=0, usage_seconds=906, evidence=b"x"
    )
    assert world.do(maker, "issue_invoice", lease=lease, period=0, **true)["usage_seconds"] == 906


def test_a_batch_landing_after_the_evidence_was_read_is_a_mismatch(world: World) -> None:
    maker, _, gateway, sensor, lease = _leased(world)
    t = world.clock.now
    _anchor(world, gateway, reading(sensor, seq=1, time=t + 10, run_seconds=0))
    world.clock.advance(DAY)
    seen = world.evidence(lease, 0)
    assert seen == {"usage_seconds": 0, "evidence": evidence_digest([])}
    _anchor(world, gateway, reading(sensor, seq=2, time=t + 20, run_seconds=50))  # stamped in period 0
    world.refused(TxReason.EVIDENCE_MISMATCH, maker, "issue_invoice", lease=lease, period=0, **seen)
    assert world.do(maker, "issue_invoice", lease=lease, period=0)["usage_seconds"] == 50


def _http_lease(server: Server, period: int) -> tuple[Actor, Party, str]:
    api = Actor(server)
    maker = api.enterprise("ev-maker", "manufacturer")
    lessee = api.enterprise("ev-lessee", "lessee")
    api.do(OPERATOR, "deposit", account=lessee.account, amount=1000, reference="r")
    token = api.do(
        maker,
        "mint_token",
        **{"serial": "E1", "model": "M", "specs": {}, "price": 1, "salvage_value": 0},
        **{"shares": 1, "share_price": 1, "fee_terms": []},
    )["result"]["token"]
    start = int(time.time()) - period
    terms: dict[str, Any] = {"token": token, "lessee": lessee.account, "start": start, "period": period}
    terms.update(end=start + 3 * period, fixed_rent=1, usage_rate=0, deposit=0, grace=0, fees=[])
    lease = api.do(maker, "offer_lease", **terms, expires=start + 3 * period)["result"]["lease"]
    api.do(lessee, "sign_lease", lease=lease)
    return api, maker, lease


@pytest.mark.slow
def test_the_evidence_endpoint_serves_an_ended_period_and_refuses_others(server: Server) -> None:
    api, maker, lease = _http_lease(server, DAY)
    status, body = server.call("GET", f"/v1/leases/{lease}/periods/0/evidence")
    assert status == 200, body
    assert body == {
        "lease": lease,
        "period": 0,
        "start": body["start"],
        "end": body["start"] + DAY,
        "usage_seconds": 0,
        "count": 0,
        "evidence": evidence_digest([]).hex(),
    }
    for path, want in (
        (f"/v1/leases/{lease}/periods/1/evidence", (422, "period_not_ended", "ends at")),
        (f"/v1/leases/{lease}/periods/3/evidence", (422, "bad_period", "periods 0..2, not 3")),
        (
            "/v1/leases/lease-0000000000000000/periods/0/evidence",
            (404, "not_found", "lease-0000000000000000"),
        ),
        (f"/v1/leases/{lease}/periods/-1/evidence", (400, "bad_request", "period")),
    ):
        status, body = server.call("GET", path)
        assert (status, body["reason"]) == want[:2], (path, body)
        assert set(body) == {"reason", "detail"}, body
        assert want[2] in body["detail"], body
    invoice = api.do(
        maker, "issue_invoice", lease=lease, period=0, usage_seconds=0, evidence=evidence_digest([])
    )
    assert server.get(f"/v1/invoices/{invoice['result']['invoice']}")["evidence"] == evidence_digest([]).hex()
