"""A bundle cannot hide a batch: the signed invoice names its evidence, the verifier holds the bundle to it.

The attack (issue 13): export a bundle, leave out a whole anchored batch, recompute
every claim the way a dishonest exporter would, and hand it over.  Usage, amount and
payouts then agree with each other; only the signed ``issue_invoice`` still names
the readings the ledger billed.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nacl.signing import SigningKey

from chain_client.audit import Bundle, export_bundle, verify_bundle
from chain_client.client import LedgerClient
from tests.backend.world import reading, seeded_key
from tests.gateway.ledger_backend import LedgerBackend

PERIOD = 5
Data = dict[str, Any]


def _party(backend: LedgerBackend, label: str, role: str) -> SigningKey:
    key = seeded_key(f"evidence-{label}")
    backend.certify(key, label, role)
    return key


@pytest.fixture(scope="module")
def story(backend: LedgerBackend) -> tuple[Data, list[tuple[int, int]]]:
    """A paid invoice resting on four batches, its bundle, and the places of its evidence readings."""
    maker, lessee = _party(backend, "maker", "manufacturer"), _party(backend, "lessee", "lessee")
    investor, gateway = _party(backend, "investor", "investor"), _party(backend, "gw", "service")
    sensor, other = SigningKey.generate(), SigningKey.generate()
    backend.submit(
        backend.operator, "deposit", account=bytes(lessee.verify_key).hex(), amount=10**9, reference="b"
    )
    backend.submit(
        backend.operator, "deposit", account=bytes(investor.verify_key).hex(), amount=10**6, reference="c"
    )
    with (
        LedgerClient(backend.url, maker) as m,
        LedgerClient(backend.url, lessee) as le,
        LedgerClient(backend.url, gateway) as g,
        LedgerClient(backend.url, investor) as inv,
    ):
        token = m.mint_token("EV-1", "CNC-5", price=1000, salvage_value=0, shares=10, share_price=1).token
        m.bind_device(token, bytes(sensor.verify_key))
        inv.buy_shares(token, 3)
        now = int(time.time())
        lease = m.offer_lease(
            token,
            bytes(lessee.verify_key).hex(),
            start=now,
            end=now + PERIOD,
            period=PERIOD,
            fixed_rent=1000,
            usage_rate=3600,
            deposit=0,
            grace=60,
        ).lease
        le.sign_lease(lease)
        counter, seq = 170_000, 0
        for batch in range(4):
            messages = []
            for _ in range(3):
                seq += 1
                counter += 97 * seq  # the machine runs on: each reading adds usage but the first
                messages.append(reading(sensor, seq=seq, time=now + 1, run_seconds=counter))
            messages.insert(1, reading(other, seq=batch + 1, time=now + 1, run_seconds=batch))
            g.anchor_batch(messages)
        time.sleep(max(0.0, now + PERIOD + 0.5 - time.time()))
        issued = m.issue_invoice(lease, 0)  # reads the evidence endpoint and signs it in
        le.pay_invoice(issued.invoice)
        rows = m.telemetry(token=token, status="verified", limit=1000)
        bundle = export_bundle(m, lease, 0)
    evidence = sorted((r.batch, r.position) for r in rows if r.increment > 0)
    assert len(evidence) == 11  # every reading of the sensor but its baseline
    report = verify_bundle(bundle, bytes(backend.operator.verify_key).hex())
    assert report.failures == []
    assert report.summary["evidence_count"] == 11
    assert report.summary["evidence"] == bundle.claims.invoice.evidence
    return bundle.model_dump(), evidence


def recompute_claims(data: Data) -> Data:
    """What a dishonest exporter does after leaving evidence out: make every claim fit what is left."""
    summary = verify_bundle(Bundle.model_validate(data)).summary
    invoice = data["claims"]["invoice"]
    for name in ("usage_seconds", "usage_charge", "amount", "payouts"):
        invoice[name] = summary[name]
    for listed in data["claims"]["lease"]["invoices"]:
        if listed["id"] == invoice["id"]:
            listed.update({k: invoice[k] for k in ("usage_seconds", "usage_charge", "amount", "payouts")})
    return data


def _without(
    data: Data, batches: set[int], readings: set[tuple[int, int]], *, keep_readings: bool = False
) -> Data:
    out: Data = json.loads(json.dumps(data))
    out["entries"] = [e for e in out["entries"] if e["index"] not in batches]
    out["readings"] = [
        r
        for r in out["readings"]
        if (r["batch"], r["position"]) not in readings and (keep_readings or r["batch"] not in batches)
    ]
    return out


def test_a_bundle_without_one_batch_fails_by_name_even_with_recomputed_claims(
    story: tuple[Data, list[tuple[int, int]]], backend: LedgerBackend
) -> None:
    genuine, evidence = story
    dropped = evidence[4][0]  # the second batch, whole: its entry and its readings
    forged = recompute_claims(_without(genuine, {dropped}, set()))
    forged_claim = forged["claims"]["invoice"]
    # The next reading takes up the dropped increments: the sum is the same, only the list shows it.
    assert forged_claim["usage_seconds"] == genuine["claims"]["invoice"]["usage_seconds"]
    report = verify_bundle(Bundle.model_validate(forged), bytes(backend.operator.verify_key).hex())
    assert [f.check for f in report.failures] == ["evidence"]
    failure = report.failures[0]
    assert failure.where.startswith(f"invoice {forged_claim['id']} (log entry ")
    assert f"named {genuine['claims']['invoice']['usage_seconds']} run-seconds" in failure.detail
    assert f"give {forged_claim['usage_seconds']} run-seconds from 8 readings" in failure.detail
    assert "leaves out" in failure.detail


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_leaving_out_any_reading_entry_or_batch_of_the_evidence_is_caught(
    story: tuple[Data, list[tuple[int, int]]], backend: LedgerBackend, data: st.DataObject
) -> None:
    genuine, evidence = story
    gone = set(data.draw(st.lists(st.sampled_from(evidence), min_size=1, max_size=4, unique=True)))
    how = data.draw(st.sampled_from(["readings", "entries", "batches"]))
    batches = {b for b, _ in gone}
    if how == "readings":
        forged = _without(genuine, set(), gone)
    else:
        forged = _without(genuine, batches, set(), keep_readings=how == "entries")
    if data.draw(st.booleans()):
        forged = recompute_claims(forged)
    report = verify_bundle(Bundle.model_validate(forged), bytes(backend.operator.verify_key).hex())
    assert not report.ok
    assert report.failed("evidence"), report.failures
