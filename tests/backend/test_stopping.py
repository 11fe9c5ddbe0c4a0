"""A stop signal at any moment of a start or a run: noted, acted on where stopping is clean."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from backend.errors import Stopped
from backend.stopping import StopRequests
from harness.ports import free_port
from tests.backend.server import command


def test_a_signal_is_noted_and_raised_at_the_next_check() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with StopRequests() as stops:
        stops.check()  # nothing yet
        os.kill(os.getpid(), signal.SIGTERM)
        assert stops.signum == signal.SIGTERM
        with pytest.raises(Stopped) as stopped:
            stops.check()
        assert stopped.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_signal_cuts_a_wait_short() -> None:
    with StopRequests() as stops:
        started = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        previous = signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
        try:
            with pytest.raises(Stopped):
                stops.sleep(30)
        finally:
            signal.signal(signal.SIGALRM, previous)
        assert time.monotonic() - started < 10


@pytest.mark.parametrize("delay", [0.6, 1.6, 2.6])
def test_a_stop_during_the_start_ends_the_server_and_leaves_a_log_that_opens(
    tmp_path: Path, delay: float
) -> None:
    data = tmp_path / "data"
    serve = [*command(), "serve", "--data-dir", str(data), "--port", str(free_port())]
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(serve, stdout=log, stderr=subprocess.STDOUT)
        time.sleep(delay)
        process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError(f"still running 30 s after SIGTERM at {delay} s") from None
    said = (tmp_path / "server.log").read_text()
    # Before its handlers are in place the interpreter dies of the signal; after, it says so.
    assert status == -signal.SIGTERM or (status == 0 and '"stopped": "SIGTERM"' in said), said
    if (data / "ledger.sqlite3").exists():
        replay_command = [*command(), "replay", "--data-dir", str(data)]
        replay = subprocess.run(replay_command, capture_output=True, text=True, check=False)
        assert replay.returncode == 0, replay.stderr


@pytest.mark.parametrize("attempt", range(2))
def test_a_stop_right_after_the_listening_line_is_not_lost(tmp_path: Path, attempt: int) -> None:
    # The window between the last check of the start and uvicorn's own handlers.
    serve = [*command(), "serve", "--data-dir", str(tmp_path / f"data{attempt}"), "--port", "0"]
    process = subprocess.Popen(serve, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    assert '"listening"' in process.stderr.readline()
    process.send_signal(signal.SIGTERM)
    try:
        status = process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError("still running 30 s after SIGTERM") from None
    assert status == 0
    assert '"stopped": "SIGTERM"' in process.stderr.read()
