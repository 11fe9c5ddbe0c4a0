"""The test harness itself: the private broker and the MicroPython runner."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from harness.micropython import MicroPython
from harness.mosquitto import LIMITS, Mosquitto, write_config
from harness.ports import (
    PARALLEL_PORTS,
    PORTS_ENV,
    PortTimeoutError,
    ProcessExitedError,
    block,
    free_port,
    wait_for_port,
)


def _connects(broker: Mosquitto) -> bool:
    try:
        with socket.create_connection((broker.host, broker.port), timeout=0.5):
            return True
    except OSError:
        return False


def _roundtrip(broker: Mosquitto) -> bytes:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="harness")
    got: list[bytes] = []
    client.on_message = lambda _c, _u, msg: got.append(bytes(msg.payload))
    client.connect(broker.host, broker.port)
    client.subscribe("harness/t", qos=1)
    client.loop_start()
    try:
        client.publish("harness/t", b"ping", qos=1).wait_for_publish(5)
        for _ in range(100):
            if got:
                break
            time.sleep(0.05)
    finally:
        client.loop_stop()
        client.disconnect()
    return got[0] if got else b""


@pytest.mark.mosquitto
def test_private_broker_round_trips_and_restarts(mosquitto: Mosquitto) -> None:
    assert _roundtrip(mosquitto) == b"ping"
    mosquitto.kill()
    assert not _connects(mosquitto)
    mosquitto.start()
    assert _roundtrip(mosquitto) == b"ping"
    mosquitto.restart()
    assert _connects(mosquitto)


@pytest.mark.micropython
def test_micropython_runs_with_firmware_on_path(micropython: MicroPython) -> None:
    result = micropython.run_code("import sys\nprint(sys.implementation.name, '/firmware' in sys.path)\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["micropython", "True"]


@pytest.mark.micropython
def test_micropython_exit_status_and_traceback(micropython: MicroPython) -> None:
    assert micropython.run_code("import sys\nsys.exit(5)\n").returncode == 5
    failed = micropython.run_code("raise ValueError('bad sensor 7')\n")
    assert failed.returncode == 1
    assert "ValueError: bad sensor 7" in failed.stderr


@pytest.mark.micropython
def test_micropython_flash_survives_a_reset(micropython: MicroPython, tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    script = (
        "import os\n"
        "try:\n    n = int(open('boots').read())\nexcept OSError:\n    n = 0\n"
        "open('boots', 'w').write(str(n + 1))\nprint(n + 1, len(os.urandom(32)))\n"
    )
    assert micropython.run_code(script, flash=flash).stdout.split() == ["1", "32"]
    assert micropython.run_code(script, flash=flash).stdout.split() == ["2", "32"]
    assert (flash / "boots").read_text() == "2"


def test_waiting_for_a_port_fails_at_once_when_the_process_exits() -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    started = time.monotonic()
    with pytest.raises(ProcessExitedError, match="exited with 3"):
        wait_for_port("127.0.0.1", free_port(), timeout=30, process=process)
    assert time.monotonic() - started < 10


def test_waiting_for_a_port_nobody_opens_times_out() -> None:
    with pytest.raises(PortTimeoutError, match=r"nothing listens on 127\.0\.0\.1:"):
        wait_for_port("127.0.0.1", free_port(), timeout=0.3)


def test_parallel_workers_pick_ports_from_ranges_that_do_not_overlap() -> None:
    for count in (1, 2, 3, 4, 8):
        ranges = [tuple(map(int, block(i, count).split("-"))) for i in range(count)]
        assert ranges[0][0] == PARALLEL_PORTS[0]
        assert all(low < high for low, high in ranges)
        assert all(ranges[i][1] < ranges[i + 1][0] for i in range(count - 1))
        assert ranges[-1][1] <= PARALLEL_PORTS[1]
    with pytest.raises(ValueError, match="process 4 of 4"):
        block(4, 4)


def _two_adjacent_ports() -> tuple[socket.socket, socket.socket]:
    while True:
        first = socket.socket()
        first.bind(("127.0.0.1", 0))
        second = socket.socket()
        try:
            second.bind(("127.0.0.1", first.getsockname()[1] + 1))
        except OSError:
            first.close()
            second.close()
            continue
        return first, second


def test_a_port_is_picked_in_the_range_given_and_a_taken_one_is_passed_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken, held = _two_adjacent_ports()
    with taken:
        taken.listen()
        port = taken.getsockname()[1]
        held.close()  # free again: the one to pick
        monkeypatch.setenv(PORTS_ENV, f"{port}-{port + 1}")
        assert {free_port() for _ in range(5)} == {port + 1}
        monkeypatch.setenv(PORTS_ENV, f"{port}-{port}")
        with pytest.raises(OSError, match=f"no free port in {PORTS_ENV}={port}-{port}"):
            free_port()


@pytest.mark.parametrize("given", ["20000", "20000-", "a-b", "30000-20000", "0-10", "60000-70000"])
def test_a_port_range_that_is_not_one_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, given: str) -> None:
    monkeypatch.setenv(PORTS_ENV, given)
    with pytest.raises(ValueError, match=f"{PORTS_ENV}={given!r} is not a port range"):
        free_port()


def test_ports_picked_and_not_yet_bound_are_not_picked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # Three witnesses are given their ports first and started after: no two may share one.
    low = PARALLEL_PORTS[0]
    monkeypatch.setenv(PORTS_ENV, f"{low}-{low + 39}")
    picked = [free_port() for _ in range(12)]
    assert len(set(picked)) == 12, picked
    assert all(low <= port <= low + 39 for port in picked)


def test_one_broker_configuration_with_and_without_persistence(tmp_path: Path) -> None:
    kept = write_config(tmp_path, "127.0.0.1", 1884, persistence=True).read_text().splitlines()
    assert "persistence true" in kept
    assert f"persistence_location {tmp_path}/" in kept
    volatile = write_config(tmp_path, "127.0.0.1", 1884, persistence=False).read_text().splitlines()
    assert "persistence false" in volatile
    for limit in LIMITS:
        assert limit in kept
        assert limit in volatile
