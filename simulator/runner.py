"""One simulator run from start to verdict: enrol, stream, settle, observe, judge, report."""

from __future__ import annotations

import hashlib
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from gateway.errors import StoreError
from simulator import faults
from simulator.enroll import Enrolment, certify, enroll
from simulator.errors import SimError
from simulator.fleet import Fleet, run_fleet
from simulator.observe import AnchorStream, GatewayView, LedgerView, read_gateway, read_ledger
from simulator.scenario import Scenario
from simulator.truth import ACCEPT
from simulator.verdict import Verdict, judge

Log = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """The system under test: where to publish, and how to see what it did."""

    broker: tuple[str, int]
    backend: str | None = None  # ledger URL: enrolment and anchored verdicts
    gateway_store: Path | None = None  # the gateway's gateway.sqlite3, read-only
    gateway_metrics: str | None = None  # the gateway's /metrics URL, to wait for its registry
    reviewer: SigningKey | None = None  # approves the simulator's manufacturer enterprise
    manufacturer: SigningKey | None = None
    fee_terms: tuple[tuple[str, int], ...] = ()  # (account, bps) fees leases of the tokens may take


@dataclass
class Outcome:
    """A finished run: the fleet, the verdict and the report document."""

    fleet: Fleet
    verdict: Verdict
    report: dict[str, Any]


def manufacturer_key(seed: int) -> SigningKey:
    """The simulator's own manufacturer account for fleets of ``seed``."""
    return SigningKey(hashlib.sha256(f"leasechain-sim manufacturer {seed}".encode()).digest())


def enrolments(fleet: Fleet) -> list[Enrolment]:
    """What to put on the ledger: every device but the never-enrolled ones."""
    out = []
    seed = fleet.scenario.run.seed
    for vd in fleet.devices:
        if vd.plan.role == faults.WRONG_KEY:
            continue
        out.append(
            Enrolment(
                f"sim-{seed}-{vd.index:06d}", vd.profile.name, vd.public_key, vd.plan.role == faults.REVOKED
            )
        )
    return out


def _registry_size(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the operator's own gateway URL
        for line in response.read().decode().splitlines():
            if line.startswith("leasechain_gateway_registry_devices"):
                return int(float(line.split()[-1]))
    return 0


def wait_for_registry(url: str, expected: int, log: Log, timeout: float = 120.0) -> None:
    """Wait until the gateway's registry holds ``expected`` devices (it syncs from the ledger)."""
    deadline = time.monotonic() + timeout
    size = -1
    while time.monotonic() < deadline:
        try:
            size = _registry_size(url)
        except OSError:
            size = -1
        if size >= expected:
            return
        time.sleep(1)
    raise SimError(
        f"the gateway at {url} knows {size} devices after {timeout:.0f} s, expected {expected}; "
        "is its registry syncing from this ledger (registry.sync_interval_seconds)?"
    )


def _settle(fleet: Fleet, target: Target, stream: AnchorStream | None, log: Log) -> None:
    """Wait until what the devices delivered is stored and anchored, or ``drain_seconds`` passed."""
    wanted = [s.digest for s in fleet.truth.sent.values() if s.expect == ACCEPT and s.acked_at]
    deadline = time.monotonic() + fleet.scenario.run.drain_seconds
    while time.monotonic() < deadline:
        missing = 0
        if target.gateway_store is not None:
            try:
                view = read_gateway(target.gateway_store)
            except StoreError:
                view = GatewayView()
            missing = sum(1 for d in wanted if d not in view.stored and d not in view.quarantined)
            if target.backend is not None:
                missing += view.unanchored
        elif stream is not None:
            missing = sum(1 for d in wanted if d not in stream.arrived)
        log(f"settling: {missing} readings not yet stored and anchored")
        if not missing:
            return
        time.sleep(0.5)


def run(
    scenario: Scenario,
    target: Target,
    log: Log,
    progress: Log | None = None,
    *,
    history_start: float | None = None,
    after_enrol: Callable[[Fleet, dict[str, str]], None] | None = None,
) -> Outcome:
    """The whole run; raises SimError when the system under test cannot be reached.

    ``history_start`` fixes the device time of the first reading; ``after_enrol`` is called
    with the fleet and its tokens (public key hex -> token id) before any reading is sent.
    """
    if target.backend is None and target.gateway_store is None:
        raise SimError(
            "nothing to compare the ground truth with: give the ledger (--backend URL) "
            "and/or the gateway's store (--gateway-store PATH)"
        )
    seed = scenario.run.seed
    # Devices boot (create keys, count boots) before anything else, so the fleet can be enrolled.
    probe = Fleet(scenario, target.broker, progress)
    probe.history_start = history_start
    tokens: dict[str, str] = {}
    if target.backend is not None:
        maker = target.manufacturer or manufacturer_key(seed)
        certify(target.backend, maker, f"Fleet simulator {seed}", ["manufacturer"], target.reviewer)
        tokens = enroll(target.backend, maker, enrolments(probe), log, target.fee_terms)
    if after_enrol is not None:
        after_enrol(probe, tokens)
    if target.gateway_metrics is not None:
        expected = sum(1 for vd in probe.devices if vd.plan.role != faults.WRONG_KEY)
        wait_for_registry(target.gateway_metrics, expected, log)
    stream = None
    if target.backend is not None:
        stream = AnchorStream(target.backend)
        stream.start()
    try:
        log(f"running {len(probe.devices)} devices against mqtt://{target.broker[0]}:{target.broker[1]}")
        fleet = run_fleet(probe)
        if progress is not None:
            progress(fleet.status_line())
        _settle(fleet, target, stream, log)
    finally:
        if stream is not None:
            stream.stop()
    gateway: GatewayView | None = None
    if target.gateway_store is not None:
        gateway = read_gateway(target.gateway_store)
    ledger: LedgerView | None = None
    if target.backend is not None:
        ledger = read_ledger(target.backend, [vd.device_hex for vd in fleet.devices])
    verdict = judge(
        scenario,
        fleet.truth,
        gateway,
        ledger,
        stream.arrived if stream is not None else None,
        (fleet.sampling_started, fleet.sampling_ended),
    )
    report = build_report(scenario, fleet, verdict, gateway, ledger)
    return Outcome(fleet, verdict, report)


def build_report(
    scenario: Scenario,
    fleet: Fleet,
    verdict: Verdict,
    gateway: GatewayView | None,
    ledger: LedgerView | None,
) -> dict[str, Any]:
    """The JSON report (docs/simulator.md lists the fields)."""
    run = scenario.run
    truth = fleet.truth
    ledger_counts: dict[str, Any] | None = None
    if ledger is not None:
        statuses: dict[str, int] = {}
        reasons: dict[str, int] = {}
        for verdicts in ledger.verdicts.values():
            for status, reason in verdicts:
                statuses[status] = statuses.get(status, 0) + 1
                if status == "rejected":
                    reasons[reason] = reasons.get(reason, 0) + 1
        ledger_counts = {"anchored": ledger.rows, "by_status": statuses, "rejected": reasons}
    gateway_counts: dict[str, Any] | None = None
    if gateway is not None:
        gateway_counts = {
            "stored": len(gateway.stored),
            "quarantined": len(gateway.quarantined),
            "unanchored": gateway.unanchored,
            "counters": dict(sorted(gateway.counters.items())),
        }
    return {
        "scenario": scenario.name,
        "seed": run.seed,
        "devices": len(fleet.devices),
        "rate": run.rate,
        "duration_seconds": run.duration_seconds,
        "acceleration": run.acceleration,
        "sampling_seconds": round(fleet.sampling_ended - fleet.sampling_started, 3),
        "signed": truth.signed,
        "distinct_messages": len(truth.sent),
        "injected": dict(sorted(truth.injected.items())),
        "reconnects": truth.reconnects,
        "publish_errors": truth.publish_errors,
        "verdict": verdict.data,
        "gateway": gateway_counts,
        "ledger": ledger_counts,
        "failures": verdict.failures,
        "passed": verdict.passed,
    }
