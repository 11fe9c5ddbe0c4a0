"""``leasechain-sim run`` from the command line: reports, exit status, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.mosquitto import Mosquitto
from tests.simulator.conftest import start_site

SCENARIOS = Path(__file__).parents[2] / "configs" / "scenarios"


def sim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args], capture_output=True, text=True, timeout=240, check=False
    )


@pytest.mark.mosquitto
@pytest.mark.slow
def test_a_gateway_trusting_a_stale_registry_is_caught(tmp_path: Path, mosquitto: Mosquitto) -> None:
    """The ledger revokes two keys; a gateway that only reads an old registry file accepts them.

    The simulator must see the false accepts and fail the run (exit status 1).
    """
    scenario = tmp_path / "revoked.toml"
    scenario.write_text(
        "[run]\nseed = 11\ndevices = 6\nrate = 2\nduration_seconds = 4\ndrain_seconds = 30\n"
        "[faults]\nrevoked_devices = 2\n"
    )
    keys = sim("keys", "--scenario", str(scenario), "--all-active")
    assert keys.returncode == 0, keys.stderr
    registry = tmp_path / "devices.json"
    registry.write_text(keys.stdout)
    assert len(json.loads(keys.stdout)["devices"]) == 8
    site = start_site(tmp_path, mosquitto, registry_file=registry)
    assert site.backend is not None
    (tmp_path / "operator.key").write_text(bytes(site.backend.operator).hex())
    report = tmp_path / "run.json"
    try:
        done = sim(
            "run",
            "--scenario", str(scenario),
            "--broker", mosquitto.url,
            "--backend", site.backend.url,
            "--gateway-store", str(site.gateway.store),
            "--reviewer-key", str(tmp_path / "operator.key"),
            "--report", str(report),
        )  # fmt: skip
    finally:
        site.gateway.stop()
        site.backend.kill()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED" in done.stdout
    assert "false accepts" in done.stdout
    data = json.loads(report.read_text())
    v = data["verdict"]
    assert v["false_accepts_at_gateway"] == 16  # 2 revoked devices x 8 readings
    assert v["false_accepts_at_ledger"] == 0  # the ledger knows the revocation
    assert data["ledger"]["rejected"] == {"revoked_device": 16}
    assert v["lost"] == 0
    assert not data["passed"]


def test_a_bad_scenario_is_refused_with_key_and_value(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[run]\nrate = -1\n")
    done = sim("run", "--scenario", str(bad), "--broker", "mqtt://127.0.0.1:1")
    assert done.returncode == 2
    assert "run.rate = -1 (int): expected greater than 0" in done.stderr
    good = tmp_path / "good.toml"
    good.write_text("[run]\nrate = 1\n")
    done = sim("run", "--scenario", str(good), "--broker", "mqtt://127.0.0.1:1")
    assert done.returncode == 2
    assert "nothing to compare the ground truth with" in done.stderr
    done = sim("run", "--scenario", str(good), "--broker", "mqtt://127.0.0.1:1", "--gateway-store", "/x")
    assert done.returncode == 2
    assert "cannot reach broker 127.0.0.1:1" in done.stderr
    done = sim("run", "--scenario", str(bad), "--broker", "http://x")
    assert done.returncode == 2
    assert "expected mqtt://HOST:PORT" in done.stderr


def test_the_shipped_scenarios_check() -> None:
    done = sim("check", *(str(p) for p in sorted(SCENARIOS.glob("*.toml"))))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok") == 3
