"""The shipped unit passes systemd-analyze verify, and the running service speaks sd_notify."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.cli import parser
from harness.mosquitto import Mosquitto
from harness.systemd import analyze_verify, directives
from tests.gateway.helpers import GatewayProcess, Sensor, basic_config, write_registry

UNIT = Path(__file__).parents[2] / "configs" / "leasechain-gateway.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    result = analyze_verify(UNIT, "/opt/leasechain/venv/bin/leasechain-gateway", tmp_path)
    assert result.returncode == 0, result.stderr
    # verify exits 0 on unknown keys and bad values, but reports them: none is allowed.
    assert result.stderr.strip() == ""


def test_unit_is_a_hardened_notify_service_that_runs_our_cli() -> None:
    d = directives(UNIT)
    assert d["Type"] == ["notify"]
    assert d["Restart"] == ["always"]
    assert int(d["WatchdogSec"][0]) > 0
    for key in ("StateDirectory", "ConfigurationDirectory", "ProtectSystem", "NoNewPrivileges"):
        assert key in d
    assert d["ProtectSystem"] == ["strict"]
    assert "PrivateDevices" not in d  # it would hide the serial ports
    assert "dialout" in d["SupplementaryGroups"][0]
    argv = shlex.split(d["ExecStart"][0])
    args = parser().parse_args(argv[1:])
    assert args.command == "run"
    assert args.config == "/etc/leasechain/gateway.toml"


@pytest.mark.mosquitto
def test_service_notifies_ready_watchdog_and_stopping(mosquitto: Mosquitto, tmp_path: Path) -> None:
    registry = write_registry(tmp_path / "r.json", [Sensor.make(1)])
    config = basic_config(tmp_path, registry, broker_port=mosquitto.port)
    gateway = GatewayProcess(config, tmp_path, env={"WATCHDOG_USEC": "400000"})
    gateway.start()  # waits for READY=1 on the real datagram socket
    try:
        assert gateway.notify is not None
        assert gateway.notify.wait_for("WATCHDOG=1", timeout=10)
        assert gateway.notify.wait_for("WATCHDOG=1", timeout=10)
        notify = gateway.notify
        assert gateway.process is not None
        gateway.process.terminate()
        assert notify.wait_for("STOPPING=1", timeout=20)
        assert gateway.process.wait(timeout=30) == 0
    finally:
        gateway.kill()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_broker_access_path_unit_passes_verify(tmp_path: Path) -> None:
    """The path unit that reloads Mosquitto when the gateway rewrites its password or ACL file."""
    configs = UNIT.parent
    for name in ("leasechain-broker-access.path", "leasechain-broker-access.service"):
        (tmp_path / name).write_text((configs / name).read_text())
    result = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "leasechain-broker-access.path")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    text = (configs / "leasechain-broker-access.path").read_text()
    assert "PathChanged=/var/lib/leasechain-gateway/broker/passwd" in text
