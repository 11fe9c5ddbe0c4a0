"""Scenarios against a real Mosquitto, gateway and ledger backend: the verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.mosquitto import Mosquitto
from simulator import scenario
from simulator.runner import run
from tests.simulator.conftest import Site, start_site

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow]

SCENARIOS = Path(__file__).parents[2] / "configs" / "scenarios"


def quiet(_line: str) -> None:
    pass


def test_baseline_reaches_the_ledger_exactly_once(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator import observe

    monkeypatch.setattr(observe, "PAGE", 2)  # read the ledger in pages of two, to cover the paging
    sc = scenario.load(SCENARIOS / "baseline.toml").with_overrides(devices=12, duration=5)
    outcome = run(sc, site.target(), quiet)
    v = outcome.report["verdict"]
    assert outcome.verdict.passed, outcome.report["failures"]
    assert v["genuine_readings"] == v["delivered"] == 60
    assert outcome.report["ledger"]["by_status"] == {"verified": 60}
    assert outcome.report["gateway"]["stored"] == 60
    assert v["latency_ms"]["publish_to_stored"]["count"] == 60
    assert v["latency_ms"]["publish_to_anchored"]["count"] > 0
    assert v["lost"] == v["duplicates"] == v["false_accepts"] == v["false_rejects"] == 0


def test_hostile_messages_are_all_rejected_and_genuine_ones_all_accepted(site: Site) -> None:
    sc = scenario.load(SCENARIOS / "hostile.toml").with_overrides(devices=16, duration=8)
    outcome = run(sc, site.target(), quiet)
    v = outcome.report["verdict"]
    assert outcome.verdict.passed, outcome.report["failures"]
    assert v["hostile_messages"] > 20
    assert v["hostile_rejected"] == v["hostile_messages"]
    assert v["hostile_wrong_reason"] == 0
    reasons = set(v["hostile_rejected_as"])
    assert {"bad_signature", "unknown_device", "revoked_device", "clock_skew"} <= reasons
    assert outcome.report["injected"]["forged_signatures"] > 0


def test_outages_lose_nothing_and_count_nothing_twice(site: Site) -> None:
    sc = scenario.load(SCENARIOS / "outage.toml").with_overrides(devices=16, duration=8)
    outcome = run(sc, site.target(), quiet)
    v = outcome.report["verdict"]
    assert outcome.verdict.passed, outcome.report["failures"]
    assert outcome.report["reconnects"] > 0
    assert outcome.report["injected"]["disconnects"] > 0
    assert v["delivered"] == v["genuine_readings"]
    assert v["pending_at_end"] == 0


def test_a_full_outbox_is_loss_and_fails_the_run(tmp_path: Path, mosquitto: Mosquitto) -> None:
    """Devices offline for longer than their flash holds drop readings: the verdict must say so."""
    from simulator.cli import main as sim

    sc_file = tmp_path / "overflow.toml"
    sc_file.write_text(
        """
name = "overflow"
[run]
seed = 5
devices = 6
rate = 4
duration_seconds = 5
drain_seconds = 20
[[machines]]
name = "small-flash"
outbox_capacity = 4
[faults]
offline = { devices = 1.0, readings = 10 }
"""
    )
    registry = tmp_path / "devices.json"
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()) as keys:
        assert sim(["keys", "--scenario", str(sc_file)]) == 0
    registry.write_text(keys.getvalue())
    s = start_site(tmp_path, mosquitto, registry_file=registry, ledger=False)
    try:
        outcome = run(scenario.load(sc_file), s.target(with_ledger=False), quiet)
    finally:
        s.gateway.stop()
    v = outcome.report["verdict"]
    assert not outcome.verdict.passed
    assert v["dropped_by_devices"] == 6 * 6  # 10 readings offline, 4 kept in flash, per device
    assert v["lost"] == 36
    assert v["false_accepts"] == 0
    assert any("max_loss" in f for f in outcome.report["failures"])


def test_a_broker_restart_mid_run_loses_nothing(site: Site) -> None:
    """The broker goes away for a moment: devices buffer, reconnect and flush; the gateway resumes."""
    import threading

    sc = scenario.load(SCENARIOS / "baseline.toml").with_overrides(devices=10, duration=8)
    restarts: list[threading.Thread] = []

    def progress(line: str) -> None:
        # Called every second of the run; restart once, two seconds into sampling.
        if " sample " in line and "signed 0 " not in line and not restarts:
            restarts.append(threading.Thread(target=site.broker.restart))
            restarts[0].start()

    outcome = run(sc, site.target(), quiet, progress)
    assert len(restarts) == 1
    restarts[0].join()
    v = outcome.report["verdict"]
    assert outcome.verdict.passed, outcome.report["failures"]
    assert outcome.report["reconnects"] >= 10
    assert v["delivered"] == v["genuine_readings"] == 80
    assert outcome.report["ledger"]["by_status"] == {"verified": 80}
