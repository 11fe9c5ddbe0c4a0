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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.observe import GatewayView, LedgerView
from simulator.scenario import Expect, Scenario
from simulator.truth import ACCEPT, REJECT, Sent, Truth


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


@dataclass
class Tally:
    """Running counts over the messages sent, before they become the verdict's data."""

    genuine: int = 0
    delivered: int = 0
    lost: int = 0
    false_reject_gw: int = 0
    false_reject_ledger: int = 0
    false_accept_gw: int = 0
    false_accept_ledger: int = 0
    hostile: int = 0
    detected: int = 0
    unaccounted: int = 0
    wrong_reason: int = 0
    either: int = 0
    packets: int = 0
    rejected_as: Counter[str] = field(default_factory=Counter)
    stored_ms: list[float] = field(default_factory=list)
    anchored_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Seen:
    """What the observed stages did with one message."""

    at_gateway: float | None  # when the gateway stored it
    quarantined: str | None  # why the gateway quarantined it
    verdicts: list[tuple[str, str]]  # the ledger's (status, reason), one per anchored copy
    gateway_observed: bool
    ledger_observed: bool

    @property
    def verified(self) -> bool:
        """Whether the ledger verified at least one copy."""
        return any(v == "verified" for v, _ in self.verdicts)


def seen(digest: bytes, gateway: GatewayView | None, ledger: LedgerView | None) -> Seen:
    """The observed fate of the message ``digest``."""
    return Seen(
        at_gateway=gateway.stored.get(digest) if gateway is not None else None,
        quarantined=gateway.quarantined.get(digest) if gateway is not None else None,
        verdicts=ledger.verdicts.get(digest, []) if ledger is not None else [],
        gateway_observed=gateway is not None,
        ledger_observed=ledger is not None,
    )


def count_genuine(tally: Tally, sent: Sent, fate: Seen, anchored_at: dict[bytes, float] | None) -> None:
    """Count a reading a correct system must accept: delivered, lost, falsely rejected, its latencies."""
    tally.genuine += 1
    if sent.acked_at:
        tally.delivered += 1
    if fate.quarantined is not None and fate.at_gateway is None:
        tally.false_reject_gw += 1
    if fate.verdicts and not any(v in ("verified", "duplicate") for v, _ in fate.verdicts):
        tally.false_reject_ledger += 1
    reached = fate.verified if fate.ledger_observed else fate.at_gateway is not None
    if not reached and sent.acked_at:
        tally.lost += 1
    if fate.at_gateway is not None and sent.first_publish:
        tally.stored_ms.append((fate.at_gateway - sent.first_publish) * 1000)
    if anchored_at is not None and sent.digest in anchored_at and sent.first_publish:
        tally.anchored_ms.append((anchored_at[sent.digest] - sent.first_publish) * 1000)


def count_hostile(tally: Tally, sent: Sent, fate: Seen) -> None:
    """Count a published message that must be rejected: falsely accepted, detected, and as what."""
    tally.hostile += 1
    if fate.at_gateway is not None:
        tally.false_accept_gw += 1
    if fate.verified:
        tally.false_accept_ledger += 1
    if fate.quarantined is not None:
        tally.detected += 1
        tally.rejected_as[fate.quarantined] += 1
        if sent.reason not in ("*", fate.quarantined):
            tally.wrong_reason += 1
    elif fate.gateway_observed and fate.at_gateway is None:
        tally.unaccounted += 1


def tally_messages(
    truth: Truth,
    gateway: GatewayView | None,
    ledger: LedgerView | None,
    anchored_at: dict[bytes, float] | None,
) -> Tally:
    """Count every message sent against what the gateway and the ledger did with it."""
    tally = Tally()
    for sent in truth.sent.values():
        tally.packets += sent.copies
        fate = seen(sent.digest, gateway, ledger)
        if sent.expect == ACCEPT:
            count_genuine(tally, sent, fate, anchored_at)
        elif sent.expect == REJECT:
            if sent.copies:
                count_hostile(tally, sent, fate)
        else:
            tally.either += 1
    return tally


def verdict_data(
    tally: Tally, truth: Truth, ledger: LedgerView | None, sampling: tuple[float, float]
) -> dict[str, Any]:
    """The verdict's counts, as the run report prints them."""
    genuine = tally.genuine
    # Readings signed but never acknowledged: still in an outbox, or dropped by the device.
    dropped = truth.dropped_by_devices
    lost_total = tally.lost + dropped
    duplicates = sum(n - 1 for n in ledger.verified_ids.values() if n > 1) if ledger is not None else 0
    seconds = max(1e-9, sampling[1] - sampling[0])
    return {
        "genuine_readings": genuine,
        "delivered": tally.delivered,
        "never_delivered": genuine - tally.delivered,
        "pending_at_end": truth.pending_at_end,
        "dropped_by_devices": dropped,
        "lost_in_transit": tally.lost,
        "lost": lost_total,
        "loss": round(lost_total / genuine, 6) if genuine else 0.0,
        "duplicates": duplicates,
        "false_accepts": tally.false_accept_gw + tally.false_accept_ledger,
        "false_accepts_at_gateway": tally.false_accept_gw,
        "false_accepts_at_ledger": tally.false_accept_ledger,
        "false_rejects": tally.false_reject_gw + tally.false_reject_ledger,
        "false_rejects_at_gateway": tally.false_reject_gw,
        "false_rejects_at_ledger": tally.false_reject_ledger,
        "hostile_messages": tally.hostile,
        "hostile_rejected": tally.detected,
        "hostile_rejected_as": dict(sorted(tally.rejected_as.items())),
        "hostile_unaccounted": tally.unaccounted,
        "hostile_wrong_reason": tally.wrong_reason,
        "unpredictable": tally.either,
        "publish_packets": tally.packets,
        "offered_per_second": round(tally.packets / seconds, 1),
        "latency_ms": {
            "publish_to_stored": percentiles(tally.stored_ms),
            "publish_to_anchored": percentiles(tally.anchored_ms),
        },
    }


# The scenario's expectations, one named check each: the verdict's data and the limits in,
# the failures (none when it holds) out.
Check = Callable[[dict[str, Any], Expect], list[str]]


def check_loss(data: dict[str, Any], expect: Expect) -> list[str]:
    """Lost genuine readings (in transit or dropped by devices) within ``max_loss``."""
    if data["loss"] <= expect.max_loss:
        return []
    return [f"loss {data['loss']:.4%} ({data['lost']} readings) above max_loss {expect.max_loss:.4%}"]


def check_duplicates(data: dict[str, Any], expect: Expect) -> list[str]:
    """Readings the ledger verified more than once within ``max_duplicates``."""
    if data["duplicates"] <= expect.max_duplicates:
        return []
    return [f"{data['duplicates']} duplicates counted, max_duplicates {expect.max_duplicates}"]


def check_false_accepts(data: dict[str, Any], expect: Expect) -> list[str]:
    """Hostile messages stored or verified within ``max_false_accepts``."""
    if data["false_accepts"] <= expect.max_false_accepts:
        return []
    return [
        f"{data['false_accepts']} false accepts ({data['false_accepts_at_gateway']} at the gateway, "
        f"{data['false_accepts_at_ledger']} on the ledger), max_false_accepts {expect.max_false_accepts}"
    ]


def check_false_rejects(data: dict[str, Any], expect: Expect) -> list[str]:
    """Genuine readings quarantined or rejected within ``max_false_rejects``."""
    if data["false_rejects"] <= expect.max_false_rejects:
        return []
    return [
        f"{data['false_rejects']} false rejects ({data['false_rejects_at_gateway']} at the gateway, "
        f"{data['false_rejects_at_ledger']} on the ledger), max_false_rejects {expect.max_false_rejects}"
    ]


def check_pending(data: dict[str, Any], expect: Expect) -> list[str]:
    """Readings left in device outboxes at the end, a fraction of the genuine ones, within ``max_pending``."""
    genuine = data["genuine_readings"]
    pending = data["pending_at_end"] / genuine if genuine else 0.0
    if pending <= expect.max_pending:
        return []
    return [f"{data['pending_at_end']} readings still in device outboxes, above max_pending"]


def check_latency(data: dict[str, Any], expect: Expect) -> list[str]:
    """The 99th percentiles of publish-to-stored and publish-to-anchored within their limits, if set."""
    failures = []
    for name, limit in (
        ("publish_to_stored", expect.max_p99_stored_ms),
        ("publish_to_anchored", expect.max_p99_anchored_ms),
    ):
        p99 = data["latency_ms"][name]["p99"]
        if limit is not None and p99 is not None and p99 > limit:
            failures.append(f"{name} p99 {p99} ms above {limit} ms")
    return failures


CHECKS: tuple[Check, ...] = (
    check_loss,
    check_duplicates,
    check_false_accepts,
    check_false_rejects,
    check_pending,
    check_latency,
)


def judge(
    scenario: Scenario,
    truth: Truth,
    gateway: GatewayView | None,
    ledger: LedgerView | None,
    anchored_at: dict[bytes, float] | None,
    sampling: tuple[float, float],
) -> Verdict:
    """Compare and check the scenario's expectations."""
    data = verdict_data(tally_messages(truth, gateway, ledger, anchored_at), truth, ledger, sampling)
    return Verdict(data, [failure for check in CHECKS for failure in check(data, scenario.expect)])
