"""What an installer sees of a running gateway: log summaries, counters, devices, reload, checks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from gateway.quarantine import Summary
from harness.mosquitto import Mosquitto
from harness.ports import free_port
from tests.gateway.helpers import (
    GatewayProcess,
    Publisher,
    Sensor,
    quarantine_reasons,
    stored_raws,
    wait_until,
    write_config,
    write_registry,
)
from tests.gateway.ledger_backend import LedgerBackend, seeded


def test_the_quarantine_summary_is_one_line_per_interval_by_reason_and_device() -> None:
    summary = Summary(interval=60)
    assert summary.line(0.0) is None
    summary.add("bad_signature", b"\x01" * 16)
    first = summary.line(0.0)  # the first after a quiet spell: at once
    assert first == f"quarantined 1 message: bad_signature 1 from 1 device ({'01' * 16} 1)"
    for i in range(59_458):
        summary.add("bad_signature" if i % 2 else "unknown_device", bytes([i % 5]) * 16)
    assert summary.line(30.0) is None  # too soon: counted, not logged
    line = summary.line(61.0)
    assert line is not None
    assert line.startswith("quarantined 59458 messages in the last 61 s: ")
    assert "bad_signature 29729 from 5 devices (" in line
    assert "unknown_device 29729 from 5 devices (" in line
    assert line.endswith(", …)")  # three devices named per reason
    assert summary.line(200.0) is None  # nothing new
    for i in range(1500):  # a flood of invented device ids stays bounded in memory
        summary.add("unknown_device", i.to_bytes(16, "big"))
    line = summary.line(300.0)
    assert line is not None
    assert "unknown_device 1500 from 1000 devices" in line
    assert "500 without a device id or beyond 1000" in line


def _gateway(cmd: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"}
    return subprocess.run(
        [sys.executable, "-m", "gateway", cmd, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean | (env or {}),
        check=False,
    )


def _metrics(gateway: GatewayProcess) -> dict[str, float]:
    port = next(
        int(line.rsplit(":", 1)[1].split("/")[0])
        for line in gateway.log.read_text().splitlines()
        if "metrics on http://" in line
    )
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


@pytest.mark.mosquitto
def test_an_installer_sees_what_the_gateway_does(mosquitto: Mosquitto, tmp_path: Path) -> None:
    known = [Sensor.make(700), Sensor.make(701)]
    stranger = Sensor.make(702)
    backend = LedgerBackend(tmp_path / "ledger")
    backend.start()
    gateway_key = seeded("observed gateway")
    maker = seeded("observed maker")
    backend.certify(gateway_key, "Site gateway", "service")
    backend.certify(maker, "Maker", "manufacturer")
    for i, sensor in enumerate(known):
        backend.enroll(maker, f"OBS-{i}", bytes(sensor.key.verify_key))
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "gateway-key").write_text(bytes(gateway_key).hex())
    registry = write_registry(tmp_path / "devices.json", [])
    body = f"""
[gateway]
id = "observed-gw"
state_directory = "{tmp_path / "state"}"
[mqtt]
port = {mosquitto.port}
reconnect_min_seconds = 1
reconnect_max_seconds = 2
[backend]
url = "{backend.url}"
key = {{ credential = "gateway-key" }}
backoff_initial_seconds = 0.2
backoff_max_seconds = 1.0
[registry]
file = "{registry}"
sync_interval_seconds = 300
[batch]
max_readings = 20
max_age_seconds = 0.5
[metrics]
port = 0
[log]
quarantine_summary_seconds = 2
"""
    config = write_config(tmp_path, body)
    state = tmp_path / "state"
    try:
        # check-config outside systemd: the credentials come from --credentials, both option styles.
        done = _gateway("check-config", str(config), "--credentials", str(credentials), "--online")
        assert done.returncode == 0, done.stdout + done.stderr
        account = bytes(gateway_key.verify_key).hex()
        assert "broker          ok: 127.0.0.1:" in done.stdout
        assert f"account         ok: {account} (Site gateway): certified service enterprise" in done.stdout
        assert "registry        ok: 2 device keys on the ledger" in done.stdout
        (tmp_path / "wrong").mkdir()
        wrong = write_config(
            tmp_path / "wrong", body.replace(f"port = {mosquitto.port}", f"port = {free_port()}")
        )
        done = _gateway("check-config", "-c", str(wrong), "--credentials", str(credentials), "--online")
        assert done.returncode == 1
        assert "broker          FAILED: 127.0.0.1:" in done.stdout
        assert "cannot connect" in done.stdout
        done = _gateway("account", "--config", str(config), "--credentials", str(credentials))
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == account

        gateway = GatewayProcess(config, tmp_path, env={"CREDENTIALS_DIRECTORY": str(credentials)})
        gateway.start()
        publisher = Publisher(mosquitto.host, mosquitto.port)
        a, b = known
        first = a.reading()
        items = [(a.topic, first)] + [(a.topic, a.reading()) for _ in range(8)]
        items.append((a.topic, a.reading(seq=a.seq + 2)))  # two readings skipped: a sequence gap
        items.append((a.topic, first))  # redelivered: a duplicate
        items += [(b.topic, b.reading()) for _ in range(5)]
        for _ in range(150):  # a forger in b's name
            raw = bytearray(b.reading())
            raw[-1] ^= 1
            b.seq -= 1
            items.append((b.topic, bytes(raw)))
        items += [(stranger.topic, stranger.reading()) for _ in range(20)]
        publisher.publish_all(items)
        wait_until(lambda: len(quarantine_reasons(state)) == 170, what="quarantined messages")
        wait_until(lambda: len(stored_raws(state)) == 15, what="stored readings")
        wait_until(
            lambda: _metrics(gateway)["leasechain_gateway_last_anchor_timestamp_seconds"] > 0, timeout=30
        )

        metrics = _metrics(gateway)
        rejected = {k: v for k, v in metrics.items() if k.startswith("leasechain_gateway_rejected_total")}
        assert rejected['leasechain_gateway_rejected_total{reason="duplicate"}'] == 1
        assert rejected['leasechain_gateway_rejected_total{reason="bad_signature"}'] == 150
        assert rejected['leasechain_gateway_rejected_total{reason="unknown_device"}'] == 20
        assert 'leasechain_gateway_rejected_total{reason="sequence_gap"}' not in rejected
        assert metrics['leasechain_gateway_noted_total{reason="sequence_gap"}'] == 1
        # Every message is verified or rejected, nothing in between.
        received = metrics['leasechain_gateway_received_total{source="mqtt"}']
        assert received == metrics["leasechain_gateway_verified_total"] + sum(rejected.values()) == 186
        assert metrics["leasechain_gateway_registry_synced_timestamp_seconds"] > 0

        # The log: a few summary lines that add up to everything, not 170 lines.
        def summaries() -> list[str]:
            return [line for line in gateway.log.read_text().splitlines() if "quarantined " in line]

        def total() -> int:
            return sum(int(line.split("quarantined ")[1].split()[0]) for line in summaries())

        wait_until(lambda: total() == 170, timeout=15, what="summary lines covering all quarantined messages")
        assert len(summaries()) <= 6
        text = "\n".join(summaries())
        assert f"from 1 device ({b.id.hex()} " in text
        assert f"({stranger.id.hex()} " in text

        # `devices`: the unknown sender first, with its count.
        done = _gateway("devices", "-c", str(config))
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0] == "3 devices seen, 1 unknown (not in the registry)"
        assert lines[2].split()[:4] == [stranger.id.hex(), "unknown", "0", "20"]
        assert "unknown_device 20" in lines[2]
        assert any(line.split()[:4] == [b.id.hex(), "active", "5", "150"] for line in lines)
        unknown = json.loads(_gateway("devices", "-c", str(config), "--unknown", "--json").stdout)
        assert [d["device"] for d in unknown] == [stranger.id.hex()]

        # A reload (SIGHUP) re-reads the registry file: the stranger is now welcome.
        write_registry(registry, [stranger])
        config.write_text(body.replace("max_readings = 20", "max_readings = 30"))
        assert gateway.process is not None
        gateway.process.send_signal(signal.SIGHUP)
        wait_until(lambda: "reloaded: 3 devices" in gateway.log.read_text(), what="the reload")
        assert "[batch] changed" in gateway.log.read_text()
        publisher.publish_all([(stranger.topic, stranger.reading())])
        wait_until(lambda: len(stored_raws(state)) == 16, what="the stranger's reading stored")
        publisher.close()
        assert gateway.terminate() == 0
    finally:
        backend.kill()


def test_config_types_are_strict(tmp_path: Path) -> None:
    registry = write_registry(tmp_path / "devices.json", [])
    config = write_config(
        tmp_path,
        f'[gateway]\nid = "g"\n[mqtt]\nenabled = "yes"\nport = "1883"\n[registry]\nfile = "{registry}"\n',
    )
    done = _gateway("check-config", "--config", str(config))
    assert done.returncode == 2
    assert "mqtt.enabled = 'yes' (str): expected a valid boolean" in done.stderr
    assert "mqtt.port = '1883' (str): expected a valid integer" in done.stderr
