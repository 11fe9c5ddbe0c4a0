"""The verdict's counts and each of its named checks on their own."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from simulator import verdict
from simulator.observe import GatewayView, LedgerView
from simulator.scenario import Expect, Scenario
from simulator.truth import ACCEPT, EITHER, REJECT, Sent, Truth


def _sent(name: str, expect: str, reason: str = "", acked: bool = True) -> Sent:
    digest = hashlib.sha256(name.encode()).digest()
    return Sent(
        digest, "aa" * 16, 1, 0, "reading", expect, reason, 100,
        first_publish=1000.0, acked_at=1000.5 if acked else 0.0, copies=1,
    )  # fmt: skip


def _truth(*sent: Sent, pending: int = 0, dropped: int = 0) -> Truth:
    return Truth(sent={s.digest: s for s in sent}, pending_at_end=pending, dropped_by_devices=dropped)


def test_a_stored_and_verified_reading_passes_with_its_latencies() -> None:
    ok = _sent("ok", ACCEPT)
    gateway = GatewayView(stored={ok.digest: 1000.25})
    ledger = LedgerView(verdicts={ok.digest: [("verified", "")]}, verified_ids={("aa", 1, 0): 1})
    result = verdict.judge(Scenario(), _truth(ok), gateway, ledger, {ok.digest: 1002.0}, (0.0, 10.0))
    assert result.passed, result.failures
    assert result.data["genuine_readings"] == 1
    assert result.data["lost"] == 0
    assert result.data["latency_ms"]["publish_to_stored"]["p99"] == 250.0
    assert result.data["latency_ms"]["publish_to_anchored"]["p99"] == 2000.0
    assert result.data["offered_per_second"] == 0.1


def test_counts_losses_false_rejects_false_accepts_and_wrong_reasons() -> None:
    lost = _sent("lost", ACCEPT)
    refused = _sent("refused", ACCEPT)
    forged = _sent("forged", REJECT, "bad_signature")
    misnamed = _sent("misnamed", REJECT, "unknown_device")
    unseen = _sent("unseen", REJECT, "*")
    maybe = _sent("maybe", EITHER)
    gateway = GatewayView(
        stored={forged.digest: 1000.1},
        quarantined={refused.digest: "bad_signature", misnamed.digest: "bad_signature"},
    )
    truth = _truth(lost, refused, forged, misnamed, unseen, maybe)
    tally = verdict.tally_messages(truth, gateway, None, None)
    assert (tally.genuine, tally.lost, tally.false_reject_gw) == (2, 2, 1)
    assert (tally.hostile, tally.false_accept_gw, tally.detected) == (3, 1, 1)
    assert tally.wrong_reason == 1
    assert tally.unaccounted == 1  # neither stored nor quarantined: the gateway never said
    assert tally.either == 1
    assert tally.rejected_as == {"bad_signature": 1}


def test_the_ledger_decides_what_reached_when_it_is_observed() -> None:
    stored_only = _sent("stored", ACCEPT)
    rejected = _sent("rejected", ACCEPT)
    gateway = GatewayView(stored={stored_only.digest: 1000.1, rejected.digest: 1000.1})
    ledger = LedgerView(verdicts={rejected.digest: [("rejected", "bad_signature")]})
    tally = verdict.tally_messages(_truth(stored_only, rejected), gateway, ledger, None)
    assert tally.lost == 2
    assert tally.false_reject_ledger == 1


def _data(**over: Any) -> dict[str, Any]:
    data = verdict.verdict_data(verdict.Tally(genuine=100), _truth(), None, (0.0, 1.0))
    data.update(over)
    return data


@pytest.mark.parametrize(
    ("check", "data", "expect", "failure"),
    [
        (verdict.check_loss, _data(loss=0.02, lost=2), Expect(max_loss=0.01), "loss 2.0000% (2 readings)"),
        (verdict.check_duplicates, _data(duplicates=3), Expect(max_duplicates=2), "3 duplicates counted"),
        (
            verdict.check_false_accepts,
            _data(false_accepts=1, false_accepts_at_gateway=1),
            Expect(),
            "1 false accepts (1 at the gateway, 0 on the ledger)",
        ),
        (
            verdict.check_false_rejects,
            _data(false_rejects=2, false_rejects_at_ledger=2),
            Expect(max_false_rejects=1),
            "2 false rejects (0 at the gateway, 2 on the ledger)",
        ),
        (verdict.check_pending, _data(pending_at_end=6), Expect(max_pending=0.05), "6 readings still"),
        (
            verdict.check_latency,
            _data(latency_ms={"publish_to_stored": {"p99": 80.0}, "publish_to_anchored": {"p99": None}}),
            Expect(max_p99_stored_ms=50, max_p99_anchored_ms=10),
            "publish_to_stored p99 80.0 ms above 50.0 ms",
        ),
    ],
    ids=["loss", "duplicates", "false accepts", "false rejects", "pending", "latency"],
)
def test_each_check_names_what_failed_and_passes_at_its_limit(
    check: verdict.Check, data: dict[str, Any], expect: Expect, failure: str
) -> None:
    failures = check(data, expect)
    assert len(failures) == 1
    assert failure in failures[0]
    assert check(_data(), Expect()) == []  # nothing counted: every check holds at its defaults
