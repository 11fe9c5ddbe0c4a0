"""The verdict: ground truth against what the gateway stored and the ledger anchored.

Counted per distinct message (its digest):

- a genuine reading a correct system must accept is *lost* when it never
  reached the last stage observed (verified on the ledger; stored by the
  gateway when the ledger is not observed) and is not still waiting in its
  device's outbox; readings the devices dropped from full outboxes are lost too;
- a *false reject* is such a reading that the gateway quarantined or the
  ledger rejected;
- a *false accept* is a message that must be rejected (forged, cloned,
  impostor, malformed, oversized, from an unknown or revoked key, from a
  clock too far ahead) that the gateway stored or the ledger verified;
- a *duplicate* is a (device, boot, seq) the ledger verified more than once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from simulator.observe import GatewayView, LedgerView
from simulator.scenario import Scenario
from simulator.truth import ACCEPT, REJECT, Truth


def percentiles(values: list[float]) -> dict[str, float | int | None]:
    """count, p50, p90, p99 and max of ``values`` (nearest rank), in the values' unit."""
    if not values:
        return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.999999) - 1))], 1)

    return {
        "count": len(ordered),
        "p50": rank(0.50),
        "p90": rank(0.90),
        "p99": rank(0.99),
        "max": round(ordered[-1], 1),
    }


@dataclass
class Verdict:
    """The counts of the verdict and the expectations checked against them."""

    data: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def judge(
    scenario: Scenario,
    truth: Truth,
    gateway: GatewayView | None,
    ledger: LedgerView | None,
    anchored_at: dict[bytes, float] | None,
    sampling: tuple[float, float],
) -> Verdict:
    """Compare and check the scenario's expectations."""
    genuine = lost = false_reject_gw = false_reject_ledger = delivered = 0
    false_accept_gw = false_accept_ledger = hostile = detected = unaccounted = wrong_reason = either = 0
    rejected_as: Counter[str] = Counter()
    stored_ms: list[float] = []
    anchored_ms: list[float] = []
    packets = 0
    for s in truth.sent.values():
        packets += s.copies
        at_gateway = gateway.stored.get(s.digest) if gateway is not None else None
        quarantined = gateway.quarantined.get(s.digest) if gateway is not None else None
        verdicts = ledger.verdicts.get(s.digest, []) if ledger is not None else []
        verified = any(v == "verified" for v, _ in verdicts)
        if s.expect == ACCEPT:
            genuine += 1
            if s.acked_at:
                delivered += 1
            if quarantined is not None and at_gateway is None:
                false_reject_gw += 1
            if verdicts and not any(v in ("verified", "duplicate") for v, _ in verdicts):
                false_reject_ledger += 1
            reached = verified if ledger is not None else at_gateway is not None
            if not reached and s.acked_at:
                lost += 1
            if at_gateway is not None and s.first_publish:
                stored_ms.append((at_gateway - s.first_publish) * 1000)
            if anchored_at is not None and s.digest in anchored_at and s.first_publish:
                anchored_ms.append((anchored_at[s.digest] - s.first_publish) * 1000)
        elif s.expect == REJECT:
            if not s.copies:
                continue
            hostile += 1
            if at_gateway is not None:
                false_accept_gw += 1
            if verified:
                false_accept_ledger += 1
            if quarantined is not None:
                detected += 1
                rejected_as[quarantined] += 1
                if s.reason not in ("*", quarantined):
                    wrong_reason += 1
            elif gateway is not None and at_gateway is None:
                unaccounted += 1
        else:
            either += 1
    # Readings signed but never acknowledged: still in an outbox, or dropped by the device.
    never_delivered = genuine - delivered
    dropped = truth.dropped_by_devices
    lost_total = lost + dropped
    duplicates = sum(n - 1 for n in ledger.verified_ids.values() if n > 1) if ledger is not None else 0
    false_accepts = false_accept_gw + false_accept_ledger
    false_rejects = false_reject_gw + false_reject_ledger
    seconds = max(1e-9, sampling[1] - sampling[0])
    data: dict[str, Any] = {
        "genuine_readings": genuine,
        "delivered": delivered,
        "never_delivered": never_delivered,
        "pending_at_end": truth.pending_at_end,
        "dropped_by_devices": dropped,
        "lost_in_transit": lost,
        "lost": lost_total,
        "loss": round(lost_total / genuine, 6) if genuine else 0.0,
        "duplicates": duplicates,
        "false_accepts": false_accepts,
        "false_accepts_at_gateway": false_accept_gw,
        "false_accepts_at_ledger": false_accept_ledger,
        "false_rejects": false_rejects,
        "false_rejects_at_gateway": false_reject_gw,
        "false_rejects_at_ledger": false_reject_ledger,
        "hostile_messages": hostile,
        "hostile_rejected": detected,
        "hostile_rejected_as": dict(sorted(rejected_as.items())),
        "hostile_unaccounted": unaccounted,
        "hostile_wrong_reason": wrong_reason,
        "unpredictable": either,
        "publish_packets": packets,
        "offered_per_second": round(packets / seconds, 1),
        "latency_ms": {
            "publish_to_stored": percentiles(stored_ms),
            "publish_to_anchored": percentiles(anchored_ms),
        },
    }
    expect = scenario.expect
    failures: list[str] = []
    if data["loss"] > expect.max_loss:
        failures.append(
            f"loss {data['loss']:.4%} ({lost_total} readings) above max_loss {expect.max_loss:.4%}"
        )
    if duplicates > expect.max_duplicates:
        failures.append(f"{duplicates} duplicates counted, max_duplicates {expect.max_duplicates}")
    if false_accepts > expect.max_false_accepts:
        failures.append(
            f"{false_accepts} false accepts ({false_accept_gw} at the gateway, {false_accept_ledger} on the "
            f"ledger), max_false_accepts {expect.max_false_accepts}"
        )
    if false_rejects > expect.max_false_rejects:
        failures.append(
            f"{false_rejects} false rejects ({false_reject_gw} at the gateway, {false_reject_ledger} on the "
            f"ledger), max_false_rejects {expect.max_false_rejects}"
        )
    pending = truth.pending_at_end / genuine if genuine else 0.0
    if pending > expect.max_pending:
        failures.append(f"{truth.pending_at_end} readings still in device outboxes, above max_pending")
    for name, limit in (
        ("publish_to_stored", expect.max_p99_stored_ms),
        ("publish_to_anchored", expect.max_p99_anchored_ms),
    ):
        p99 = data["latency_ms"][name]["p99"]
        if limit is not None and p99 is not None and p99 > limit:
            failures.append(f"{name} p99 {p99} ms above {limit} ms")
    return Verdict(data, failures)
