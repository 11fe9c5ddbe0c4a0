"""The human summary of a run report."""

from __future__ import annotations

from typing import Any


def _latency(name: str, stats: dict[str, Any]) -> str:
    if not stats["count"]:
        return f"{name:22s} not observed"
    return (
        f"{name:22s} p50 {stats['p50']} ms  p90 {stats['p90']} ms  p99 {stats['p99']} ms  "
        f"max {stats['max']} ms  ({stats['count']} readings)"
    )


def render(report: dict[str, Any]) -> str:
    """A few lines a lab tester reads first; the JSON has everything."""
    v = report["verdict"]
    injected = ", ".join(f"{k} {n}" for k, n in report["injected"].items()) or "none"
    rejected = ", ".join(f"{k} {n}" for k, n in v["hostile_rejected_as"].items()) or "none"
    lines = [
        f"scenario {report['scenario']} (seed {report['seed']}): {report['devices']} devices, "
        f"{report['signed']} readings signed in {report['sampling_seconds']} s, "
        f"{v['offered_per_second']} messages/s offered",
        f"injected faults        {injected}",
        f"delivered              {v['delivered']} of {v['genuine_readings']} genuine readings "
        f"({v['pending_at_end']} still in outboxes, {v['dropped_by_devices']} dropped by devices)",
        f"lost                   {v['lost']} ({v['loss']:.4%}): {v['lost_in_transit']} in transit, "
        f"{v['dropped_by_devices']} dropped by devices",
        f"duplicates counted     {v['duplicates']}",
        f"false accepts          {v['false_accepts']} (gateway {v['false_accepts_at_gateway']}, "
        f"ledger {v['false_accepts_at_ledger']})",
        f"false rejects          {v['false_rejects']} (gateway {v['false_rejects_at_gateway']}, "
        f"ledger {v['false_rejects_at_ledger']})",
        f"hostile messages       {v['hostile_messages']}, rejected {v['hostile_rejected']} as: {rejected}",
        _latency("publish to stored", v["latency_ms"]["publish_to_stored"]),
        _latency("publish to anchored", v["latency_ms"]["publish_to_anchored"]),
    ]
    if report["passed"]:
        lines.append("PASSED: every expectation of the scenario holds")
    else:
        lines.append("FAILED:")
        lines.extend(f"  - {failure}" for failure in report["failures"])
    return "\n".join(lines)
