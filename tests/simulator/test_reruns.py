"""One site, several runs: every run judges only itself, whatever the site has seen before."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.mosquitto import Mosquitto
from simulator import runner, scenario
from simulator.errors import SimError
from simulator.runner import run, wait_for_registry
from simulator.services import Gateway
from tests.gateway.ledger_backend import LedgerBackend, seeded
from tests.simulator.conftest import Site

SCENARIOS = Path(__file__).parents[2] / "configs" / "scenarios"


def quiet(_line: str) -> None:
    pass


@pytest.mark.mosquitto
@pytest.mark.slow
def test_three_scenarios_back_to_back_on_one_site_all_pass(site: Site) -> None:
    """Baseline, then outage (a new fleet of the same size), then baseline again (the same fleet).

    The second run must wait until the gateway knows *its* devices (it already counts as many),
    and the third re-sends a fleet the site has anchored before: fresh boots, never old
    (boot, seq) with new bytes.
    """
    runs = [("baseline.toml", 6), ("outage.toml", 6), ("baseline.toml", 6)]
    boots: list[int] = []
    for name, devices in runs:
        sc = scenario.load(SCENARIOS / name).with_overrides(devices=devices, duration=4)
        outcome = run(sc, site.target(), quiet)
        v = outcome.report["verdict"]
        assert outcome.verdict.passed, (name, outcome.report["failures"])
        assert v["genuine_readings"] > 0
        assert v["delivered"] == v["genuine_readings"]
        assert v["lost"] == v["false_rejects"] == v["false_accepts"] == v["duplicates"] == 0
        # The ledger part of the report is about this run only, not the site's history.
        assert outcome.report["ledger"]["by_status"] == {"verified": v["genuine_readings"]}
        boots.append(outcome.report["first_boot"])
    assert boots[2] > boots[0]


def test_a_wrong_metrics_address_is_called_unreachable() -> None:
    from harness.ports import free_port

    url = f"http://127.0.0.1:{free_port()}/metrics"
    with pytest.raises(SimError, match=r"metrics at .* are unreachable"):
        wait_for_registry(url, ["00" * 16], quiet)


class FastClock:
    """Stands in for the runner's ``time``: each sleep moves the clock a minute on at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, _seconds: float) -> None:
        self.now += 60


@pytest.mark.mosquitto
def test_a_sync_interval_longer_than_the_wait_is_said_before_starting(
    tmp_path: Path, mosquitto: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped config syncs every 300 s; a run must say so instead of blaming the gateway later."""
    backend = LedgerBackend(tmp_path / "backend")
    backend.start()
    key = seeded("site gateway")
    backend.certify(key, "Site gateway", "service")
    gateway = Gateway(
        tmp_path / "gateway", (mosquitto.host, mosquitto.port, "5"), backend.url, key, sync_interval=300
    )
    gateway.start()
    lines: list[str] = []
    try:
        with pytest.raises(SimError, match="still lacks 1 of this fleet's 1 devices after 2 s"):
            wait_for_registry(gateway.metrics_url, ["ab" * 16], lines.append, timeout=2)
        # Without a limit it waits one interval and a margin, and says so first.
        monkeypatch.setattr(runner, "time", FastClock())
        with pytest.raises(SimError, match="after 330 s"):
            wait_for_registry(gateway.metrics_url, ["ab" * 16], lines.append)
    finally:
        gateway.stop()
        backend.kill()
    assert "every 300 s (registry.sync_interval_seconds)" in lines[0]
    assert "waits only 2 s" in lines[0]
    assert "waiting up to 330 s" in lines[1]
