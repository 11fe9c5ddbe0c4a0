"""``leasechain telemetry``: query, follow the live stream, plot verified readings to PNG."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from nacl.signing import SigningKey

from chain_client.client import Keystore, LedgerClient
from tests.backend.world import reading
from tests.cli.runner import PASSPHRASE
from tests.cli.story import Story
from tests.gateway.ledger_backend import LedgerBackend, seeded

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def leasechain() -> list[str]:
    script = shutil.which("leasechain") or str(Path(sys.executable).with_name("leasechain"))
    return [script] if Path(script).exists() else [sys.executable, "-m", "chain_client.cli"]


def test_query_lists_the_verified_readings_of_a_token(story: Story) -> None:
    rows = story.cli.ok(
        "telemetry", "query", "--token", story.token, "--status", "verified", "--until", "2000000000"
    )
    first = [r for r in rows if r["batch"] == story.batch]
    assert [r["seq"] for r in first] == [1, 2, 3, 4]
    assert all(r["status"] == "verified" for r in first)


def test_query_reads_past_one_page_of_the_ledger_and_all_of_it(story: Story) -> None:
    with LedgerClient(story.backend.url) as client:
        every = [(r.batch, r.position) for r in client.telemetry(token=story.token, limit=10_000)]
    assert len(every) > 2
    two = story.cli.ok("telemetry", "query", "--token", story.token, "--limit", "2")
    assert [(r["batch"], r["position"]) for r in two] == every[:2]
    everything = story.cli.ok("telemetry", "query", "--token", story.token, "--all")
    assert [(r["batch"], r["position"]) for r in everything] == every
    both = story.cli.run("telemetry", "query", "--token", story.token, "--all", "--limit", "5")
    assert both.code == 2
    assert "not allowed with argument" in both.err


def test_plot_writes_a_png_of_verified_readings(story: Story, tmp_path: Path) -> None:
    out = tmp_path / "usage.png"
    result = story.cli.ok("telemetry", "plot", "--token", story.token, "--channel", "1", "-o", str(out))
    assert result["readings"] >= 4
    assert result["skipped"] == 0
    data = out.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 5000


def test_plot_of_nothing_is_an_error(story: Story, tmp_path: Path) -> None:
    result = story.cli.run("telemetry", "plot", "--device", "00" * 16, "-o", str(tmp_path / "x.png"))
    assert result.code == 1
    assert "no verified readings" in result.err
    assert not (tmp_path / "x.png").exists()


def test_follow_prints_readings_as_they_are_anchored(story: Story) -> None:
    command = [
        *leasechain(),
        "telemetry",
        "follow",
        "--token",
        story.token,
        "--count",
        "2",
        "--json",
        "--url",
        story.backend.url,
    ]
    follower = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    gateway = Keystore(story.cli.keystore).unlock("gateway", PASSPHRASE)
    seq = 100
    try:
        with LedgerClient(story.backend.url, gateway) as gw:
            deadline = time.monotonic() + 30
            # Until the follower has connected and seen two, keep anchoring new readings.
            while follower.poll() is None and time.monotonic() < deadline:
                gw.anchor_batch([reading(story.sensor, seq=seq, run_seconds=10_000 + seq)])
                seq += 1
                time.sleep(0.3)
        out, err = follower.communicate(timeout=10)
    finally:
        if follower.poll() is None:
            follower.kill()
    assert follower.returncode == 0, err
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert len(lines) == 2
    assert all(row["token"] == story.token and row["status"] == "verified" for row in lines)
    assert lines[1]["seq"] == lines[0]["seq"] + 1


def test_follow_reconnects_when_the_backend_restarts(tmp_path: Path) -> None:
    backend = LedgerBackend(tmp_path / "ledger")
    backend.start()
    maker, gateway, sensor = seeded("follow-maker"), seeded("follow-gw"), SigningKey.generate()
    backend.certify(maker, "maker", "manufacturer")
    backend.certify(gateway, "gw", "service")
    backend.enroll(maker, "F-1", bytes(sensor.verify_key))
    command = [*leasechain(), "telemetry", "follow", "--count", "2", "--json", "--url", backend.url]
    follower = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seq = 1

    def anchor_until(lines: int, deadline: float) -> None:
        # Anchor fresh readings until the follower has printed ``lines`` of them.
        nonlocal seq
        with LedgerClient(backend.url, gateway) as gw:
            while time.monotonic() < deadline and follower.poll() is None:
                gw.anchor_batch([reading(sensor, seq=seq, run_seconds=seq)])
                seq += 1
                time.sleep(0.3)
                if printed() >= lines:
                    return

    out: list[bytes] = []

    def printed() -> int:
        return sum(chunk.count(b"\n") for chunk in out)

    stdout, stderr = follower.stdout, follower.stderr
    assert stdout is not None
    assert stderr is not None
    reader = threading.Thread(target=lambda: out.extend(iter(stdout.readline, b"")), daemon=True)
    reader.start()
    try:
        anchor_until(1, time.monotonic() + 30)
        assert printed() == 1
        backend.kill()
        backend.start()
        anchor_until(2, time.monotonic() + 60)
        follower.wait(timeout=30)
    finally:
        if follower.poll() is None:
            follower.kill()
        backend.kill()
    reader.join(timeout=5)
    assert follower.returncode == 0
    assert printed() == 2
    assert b"reconnecting" in stderr.read()
