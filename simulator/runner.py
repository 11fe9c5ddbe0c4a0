"""One simulator run from start to verdict: enrol, stream, settle, observe, judge, report."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

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
    registry_wait: float | None = None  # seconds to wait for it; None: 120 s or one sync interval


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


DEFAULT_REGISTRY_WAIT = 120.0
SYNC_MARGIN = 30.0  # beyond one sync interval: the sync itself, a slow ledger


@dataclass(frozen=True)
class GatewayRegistry:
    """What the gateway says about its registry (``GET /registry`` beside its metrics)."""

    devices: dict[str, str]  # device id hex -> state
    sync_interval: float | None  # None: it does not sync from a ledger


def registry_url(metrics_url: str) -> str:
    """The gateway's ``/registry`` address, beside its ``/metrics``."""
    parts = urlsplit(metrics_url)
    return urlunsplit((parts.scheme, parts.netloc, "/registry", "", ""))


def read_gateway_registry(metrics_url: str) -> GatewayRegistry:
    """The device ids the gateway accepts now; raise SimError naming the address if it cannot say."""
    url = registry_url(metrics_url)
    if urlsplit(url).scheme not in ("http", "https"):
        raise SimError(f"gateway metrics {metrics_url!r}: expected http://HOST:PORT/metrics")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the operator's own gateway
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise SimError(
            f"the gateway at {metrics_url} answered {exc.code} for /registry; expected its list of device "
            "ids (a gateway of this version; is this the address of its [metrics] endpoint?)"
        ) from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SimError(
            f"the gateway's metrics at {metrics_url} are unreachable ({reason}); expected the address of "
            "its [metrics] endpoint, e.g. http://GATEWAY:9108/metrics"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("devices"), dict):
        raise SimError(f"{url} did not answer a device registry: {str(data)[:200]}")
    interval = data.get("sync_interval_seconds")
    return GatewayRegistry(
        {str(k): str(v) for k, v in data["devices"].items()},
        float(interval) if isinstance(interval, int | float) else None,
    )


def wait_for_registry(
    metrics_url: str, expected: Iterable[str], log: Log, timeout: float | None = None
) -> None:
    """Wait until the gateway's registry holds every device id in ``expected`` (in any state).

    The state is not waited for: a gateway that missed a revocation must be caught by the run,
    not wait it out.  ``timeout`` None waits ``DEFAULT_REGISTRY_WAIT`` or, when the gateway
    syncs less often than that, one sync interval and a margin; either way it says so first.
    """
    wanted = set(expected)
    known = read_gateway_registry(metrics_url)
    missing = wanted - known.devices.keys()
    if not missing:
        return
    interval = known.sync_interval
    wait = timeout if timeout is not None else DEFAULT_REGISTRY_WAIT
    if interval is None:
        log(
            f"the gateway does not sync its registry from a ledger and lacks {len(missing)} of this fleet's "
            f"{len(wanted)} devices; list them in its registry.file (leasechain-sim keys) "
            f"and reload it; waiting up to {wait:.0f} s"
        )
    elif interval + SYNC_MARGIN > wait:
        longer = interval + SYNC_MARGIN
        advice = "send it SIGHUP (systemctl reload leasechain-gateway) to sync now"
        if timeout is None:
            wait = longer
            log(
                f"the gateway syncs its registry every {interval:.0f} s (registry.sync_interval_seconds), "
                f"longer than the {DEFAULT_REGISTRY_WAIT:.0f} s a run waits: waiting up to {wait:.0f} s for "
                f"{len(missing)} of this fleet's devices; {advice}, or lower the interval"
            )
        else:
            log(
                f"the gateway syncs its registry every {interval:.0f} s (registry.sync_interval_seconds) "
                f"and this run waits only {wait:.0f} s (--registry-wait) for {len(missing)} of this "
                f"fleet's devices; {advice}"
            )
    else:
        log(f"waiting for the gateway to learn {len(missing)} of this fleet's {len(wanted)} devices")
    deadline = time.monotonic() + wait
    while True:
        time.sleep(1)
        missing = wanted - read_gateway_registry(metrics_url).devices.keys()
        if not missing:
            return
        if time.monotonic() > deadline:
            break
    sample = ", ".join(sorted(missing)[:3])
    raise SimError(
        f"the gateway at {metrics_url} still lacks {len(missing)} of this fleet's {len(wanted)} devices "
        f"after {wait:.0f} s (e.g. {sample}); is its registry syncing from this ledger "
        "(registry.sync_interval_seconds)?"
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
        expected = [vd.device_hex for vd in probe.devices if vd.plan.role != faults.WRONG_KEY]
        wait_for_registry(target.gateway_metrics, expected, log, target.registry_wait)
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
        devices = [vd.device_hex for vd in fleet.devices]
        ledger = read_ledger(
            target.backend, devices, min_boot=fleet.first_boot, digests=fleet.truth.sent.keys()
        )
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
        "first_boot": fleet.first_boot,
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
