"""Operator safety nets of ``leasechain-backend``, tried on real processes.

A second server on the same database, a replay of a database that is not
there, a port already taken, a key that does not belong to the log and a
SIGTERM after big batches: each is refused or bounded, says why, and leaves
nothing behind (no stray key, no empty database, no worker process).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import sqlalchemy

from backend.verify import PARALLEL_THRESHOLD
from harness.ports import free_port
from tests.backend.conftest import PG_URL
from tests.backend.server import Server, command
from tests.backend.test_http import OPERATOR, Actor
from tests.backend.world import batch_args, reading, seeded_key

pytestmark = pytest.mark.slow


def backend(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``leasechain-backend ARGS`` to its end."""
    return subprocess.run([*command(), *args], capture_output=True, text=True, timeout=timeout, check=False)


def db_args(data_dir: Path, spec: tuple[str, str | None]) -> list[str]:
    """The database options of a server over ``spec``, with ``data_dir`` for its key."""
    url, schema = spec
    args = ["--data-dir", str(data_dir)]
    return args if url.startswith("sqlite") else [*args, "--db", url, "--db-schema", str(schema)]


@pytest.fixture
def running(storage_spec: tuple[str, str | None], tmp_path: Path) -> Iterator[Server]:
    """A server whose key lives outside its data directory (so a stray one there would show)."""
    key_file = tmp_path / "first.key"
    key_file.write_text(bytes(OPERATOR.key).hex())
    server = Server(tmp_path / "data", key_file, storage_spec)
    server.data_dir.mkdir()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- one writer per database ---------------------------------------------------


def test_a_second_server_on_the_same_database_is_refused_and_writes_no_key(
    running: Server, storage_spec: tuple[str, str | None], tmp_path: Path
) -> None:
    # A second data directory on PostgreSQL (the database is shared by URL); the same one on SQLite.
    data_dir = running.data_dir if storage_spec[1] is None else tmp_path / "second"
    second = backend("serve", *db_args(data_dir, storage_spec), "--port", str(free_port()), timeout=60)
    assert second.returncode == 1, second.stderr
    assert "in use by another leasechain-backend" in second.stderr
    schema = storage_spec[1]
    name = str(running.data_dir / "ledger.sqlite3") if schema is None else f"schema {schema}"
    assert name in second.stderr
    assert "listening" not in second.stderr
    assert not (data_dir / "operator.key").exists()
    assert running.get("/v1/info")["size"] == 1  # the first one is untouched


def test_the_lock_dies_with_its_process(running: Server) -> None:
    assert running.process is not None
    running.process.kill()
    running.process.wait()
    running.start()
    assert running.get("/v1/info")["log_key"] == OPERATOR.account


def test_replay_runs_beside_a_live_server(running: Server) -> None:
    Actor(running).enterprise("maker", "manufacturer")
    live = running.get("/v1/state/digest")
    replayed = running.replay()
    assert (replayed["tree_size"], replayed["state_digest"]) == (live["tree_size"], live["state_digest"])


# -- replay never creates -----------------------------------------------------------


def test_replay_of_a_missing_data_directory_fails_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = backend("replay", "--data-dir", str(missing))
    assert result.returncode == 1
    assert f"data directory {missing} does not exist; nothing to replay" in result.stderr
    assert result.stdout == ""
    assert not missing.exists()


def test_replay_of_a_missing_database_file_fails_and_creates_nothing(tmp_path: Path) -> None:
    result = backend("replay", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert f"database {tmp_path / 'ledger.sqlite3'} does not exist" in result.stderr
    path = tmp_path / "other.sqlite3"
    result = backend("replay", "--db", f"sqlite:///{path}")
    assert result.returncode == 1
    assert f"database {path} does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_replay_of_a_missing_schema_fails_and_creates_nothing(pg_available: bool, tmp_path: Path) -> None:
    assert pg_available, f"PostgreSQL is not reachable at {PG_URL}"
    schema = f"lc_test_absent_{time.monotonic_ns()}"
    result = backend("replay", "--data-dir", str(tmp_path), "--db", PG_URL, "--db-schema", schema)
    assert result.returncode == 1
    assert f"(schema {schema}) holds no log; nothing to replay" in result.stderr
    engine = sqlalchemy.create_engine(PG_URL)
    try:
        assert schema not in sqlalchemy.inspect(engine).get_schema_names()
    finally:
        engine.dispose()


# -- refused starts leave no key -------------------------------------------------------


def test_a_log_without_its_key_file_is_refused_and_no_key_is_made(running: Server) -> None:
    running.stop()
    result = backend("serve", *running.db_args, "--port", str(free_port()), timeout=60)
    assert result.returncode == 1
    key_path = running.data_dir / "operator.key"
    assert f"operator key {key_path} does not exist" in result.stderr
    assert OPERATOR.account in result.stderr
    assert not key_path.exists()


def test_a_bad_option_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    result = backend("serve", "--data-dir", str(tmp_path / "data"), "--port", "70000")
    assert result.returncode == 2
    assert "port 70000 is outside 0..65535" in result.stderr
    assert not (tmp_path / "data").exists()


def test_the_key_of_a_new_log_is_made_on_its_first_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = Server(data_dir, data_dir / "operator.key", ("sqlite", None))
    data_dir.mkdir()
    server.start()
    try:
        assert (data_dir / "operator.key").stat().st_mode & 0o777 == 0o600
        assert server.get("/v1/info")["size"] == 1
    finally:
        server.stop()


# -- the port ----------------------------------------------------------------------------


def test_a_port_in_use_is_refused_before_listening_and_writes_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data_dir = tmp_path / "data"
        result = backend("serve", "--data-dir", str(data_dir), "--port", str(port), timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "listening" not in result.stderr
    assert not (data_dir / "operator.key").exists()
    assert not (data_dir / "ledger.sqlite3").exists()


def test_the_listening_line_comes_once_the_port_is_bound(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*command(), "serve", "--data-dir", str(tmp_path), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert '"listening": "http://127.0.0.1:' in line
        port = int(line.split("127.0.0.1:")[1].split('"')[0])
        assert port != 0
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert process.returncode == 0


# -- stopping -----------------------------------------------------------------------------


def _anchor_a_big_batch(server: Server) -> None:
    api = Actor(server)
    maker = api.enterprise("maker", "manufacturer")
    gateway = api.enterprise("gateway", "service")
    terms = {"specs": {}, "price": 10, "salvage_value": 1, "shares": 4, "share_price": 1}
    token = api.do(maker, "mint_token", serial="S1", model="M", fee_terms=[], **terms)["result"]["token"]
    device = seeded_key("cli-dev")
    api.do(maker, "bind_device", token=token, public_key=bytes(device.verify_key))
    start = int(time.time()) - 10_000
    messages = [reading(device, seq=i + 1, time=start + i) for i in range(PARALLEL_THRESHOLD + 88)]
    anchored = api.do(gateway, "anchor_batch", tx_id="big", **batch_args(messages))
    assert anchored["result"]["verified"] == len(messages)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_leaves_no_worker_process(running: Server, how: signal.Signals) -> None:
    _anchor_a_big_batch(running)
    assert running.process is not None
    descendants = psutil.Process(running.process.pid).children(recursive=True)
    # The batch went through the worker pool: its workers (and multiprocessing's helpers) are up.
    assert len(descendants) >= 2
    running.process.send_signal(how)
    status = running.process.wait(timeout=30)
    _, alive = psutil.wait_procs(descendants, timeout=15)
    leftovers = [p.pid for p in alive]
    for leftover in alive:  # not to leak them into the next tests when this one fails
        leftover.kill()
    assert leftovers == []
    assert status == 0
    assert '"stopped": "' + how.name in (running.data_dir / "server.log").read_text()
