"""Operator basics on a real server: probes, Prometheus metrics, and a backup that restores the same state."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.server import OPERATOR_KEY, Server, command
from tests.backend.test_http import Actor

pytestmark = pytest.mark.slow


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[Server]:
    key_file = tmp_path / "operator.key"
    key_file.write_text(bytes(OPERATOR_KEY).hex())
    server = Server(tmp_path / "data", key_file, (f"sqlite:///{tmp_path / 'unused'}", None))
    server.data_dir.mkdir()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_probes_and_metrics(sqlite_server: Server) -> None:
    assert sqlite_server.get("/healthz") == {"status": "ok"}
    ready = sqlite_server.get("/readyz")
    assert ready["status"] == "ready"
    Actor(sqlite_server).enterprise("metrics-maker", "manufacturer")
    assert sqlite_server.call("GET", "/v1/tokens/tok-nope")[0] == 404
    assert sqlite_server.call("GET", "/no/such/path/" + "x" * 50)[0] == 404
    text = sqlite_server.raw("/metrics")
    assert (
        'leasechain_backend_http_requests_total{method="POST",route="/v1/transactions",status="200"} 2.0'
        in text
    )
    assert 'route="/v1/tokens/{token_id}",status="404"' in text
    assert 'route="other",status="404"' in text  # unknown paths share one series
    assert "leasechain_backend_appends_total 2.0" in text
    assert f"leasechain_backend_log_size {float(ready['tree_size'] + 2)}" in text
    assert "leasechain_backend_startup_seconds" in text
    assert "leasechain_backend_http_request_seconds_bucket" in text


def test_a_backup_taken_while_serving_restores_the_same_state(sqlite_server: Server, tmp_path: Path) -> None:
    actor = Actor(sqlite_server)
    for i in range(3):
        actor.enterprise(f"backup-{i}", "investor")
    live = sqlite_server.get("/v1/state/digest")
    copy = tmp_path / "copy.sqlite3"
    made = subprocess.run(
        [*command(), "backup", str(copy), "--data-dir", str(sqlite_server.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["bytes"] == copy.stat().st_size
    again = subprocess.run(
        [*command(), "backup", str(copy), "--data-dir", str(sqlite_server.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 1
    assert "exists already" in again.stderr
    restored = subprocess.run(
        [*command(), "replay", "--db", f"sqlite:///{copy}"], capture_output=True, timeout=120, check=True
    )
    replayed = json.loads(restored.stdout)
    assert (replayed["tree_size"], replayed["state_digest"]) == (live["tree_size"], live["state_digest"])
