"""``leasechain-witness`` as a process: HTTP limits, restarts, ``kill -9`` in the middle of cosigning."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from chain_client.tlog import note as notes
from chain_client.tlog import parse_text, verify_cosignatures
from chain_client.tlog.note import parse_vkey
from chain_client.tlog.witness import MAX_REQUEST, origin_hash
from tests.witness.harness import Log, OurWitness, script

pytestmark = pytest.mark.slow


def post(witness: OurWitness, body: bytes, path: str = "/add-checkpoint") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", witness.port, timeout=30)
    try:
        connection.request("POST", path, body=body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def get(witness: OurWitness, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", witness.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[OurWitness, Log]]:
    log = Log()
    witness = OurWitness(tmp_path / "w1", "witness.example.org/w1", [log.vkey], "--read-timeout", "1")
    witness.start()
    try:
        yield witness, log
    finally:
        witness.stop()


def test_a_restart_keeps_the_view(running: tuple[OurWitness, Log]) -> None:
    witness, log = running
    log.grow(20)
    assert post(witness, log.request(0))[0] == 200
    witness.stop()
    witness.start()
    log.grow(5)
    assert post(witness, log.request(0)) == (409, b"20\n")
    fork = Log()
    fork.grow(20, tag="forked ")
    assert post(witness, fork.request(20))[0] == 422
    assert post(witness, log.request(20))[0] == 200


def test_the_monitoring_endpoint_serves_the_latest_cosigned_checkpoint(
    running: tuple[OurWitness, Log],
) -> None:
    witness, log = running
    assert get(witness, f"/{origin_hash(log.origin)}/checkpoint")[0] == 404
    log.grow(3)
    assert post(witness, log.request(0))[0] == 200
    status, body = get(witness, f"/{origin_hash(log.origin)}/checkpoint")
    assert status == 200
    signed = notes.parse(body)
    notes.verify(signed, [log.vkey])
    assert list(verify_cosignatures(signed, [parse_vkey(witness.vkey)])) == ["witness.example.org/w1"]
    assert parse_text(signed.text).size == 3
    assert get(witness, "/" + "0" * 64 + "/checkpoint")[0] == 404


def test_oversized_and_garbage_bodies_are_refused(running: tuple[OurWitness, Log]) -> None:
    witness, log = running
    assert post(witness, b"x" * (MAX_REQUEST + 1))[0] == 413
    assert post(witness, b"garbage")[0] == 400
    assert post(witness, "old 0\n\n\u2014\n".encode() * 100)[0] == 400
    log.grow(2)
    assert post(witness, log.request(0))[0] == 200  # and it still works


def test_kill_minus_9_while_cosigning_leaves_a_view_it_answered_for(running: tuple[OurWitness, Log]) -> None:
    """A log submits as fast as it can while the witness gets SIGKILL: after the restart the view is
    whole, at least every size answered 200, at most the one in flight, and the log continues."""
    witness, log = running
    log.grow(400)
    answered: list[int] = []
    in_flight: list[int] = []
    stop = threading.Event()

    def submit() -> None:
        old = 0
        for size in range(1, 401):
            if stop.is_set():
                return
            in_flight.append(size)
            try:
                status, _ = post(witness, log.request(old, size))
            except (OSError, http.client.HTTPException):  # the witness died under the request
                return
            if status == 200:
                answered.append(size)
                old = size

    thread = threading.Thread(target=submit)
    thread.start()
    while len(answered) < 20:
        time.sleep(0.01)
    witness.stop(kill=True)
    stop.set()
    thread.join(timeout=30)
    witness.start()
    status, body = post(witness, log.request(0))
    assert status == 409
    held = int(body)
    assert answered[-1] <= held <= in_flight[-1]
    assert not list((witness.data_dir / "views").glob(".tmp-*"))
    view = json.loads(next((witness.data_dir / "views").glob("*.json")).read_text())
    assert view["size"] == held
    assert post(witness, log.request(held))[0] == 200  # the log goes on from there


def test_init_refuses_to_replace_an_identity_and_serve_needs_one(tmp_path: Path) -> None:
    log = Log()
    witness = OurWitness(tmp_path / "w", "witness.example.org/w", [log.vkey])
    again = subprocess.run(
        [*script("leasechain-witness"), "init", "--data-dir", str(witness.data_dir), "--name", "x.example/w"],
        capture_output=True,
        timeout=30,
    )
    assert again.returncode == 1
    assert b"already holds a witness identity" in again.stderr
    empty = subprocess.run(
        [
            *script("leasechain-witness"),
            "serve",
            "--data-dir",
            str(tmp_path / "none"),
            "--log",
            log.vkey.vkey(),
        ],
        capture_output=True,
        timeout=30,
    )
    assert empty.returncode == 1
    assert b"leasechain-witness init" in empty.stderr
    bad = subprocess.run(
        [*script("leasechain-witness"), "serve", "--data-dir", str(witness.data_dir), "--log", "nope"],
        capture_output=True,
        timeout=30,
    )
    assert bad.returncode == 2
    assert b"vkey" in bad.stderr


def test_a_body_that_never_ends_is_cut_off(running: tuple[OurWitness, Log]) -> None:
    witness, _ = running
    with socket.create_connection(("127.0.0.1", witness.port), timeout=30) as sock:
        sock.sendall(b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nContent-Length: 1000\r\n\r\nold 0\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 408")


def test_concurrent_submissions_from_one_size_cannot_roll_the_view_back(
    running: tuple[OurWitness, Log],
) -> None:
    """The spec's race: two requests checked against size 10; only one may cosign, the other gets 409."""
    witness, log = running
    log.grow(10)
    assert post(witness, log.request(0))[0] == 200
    log.grow(30)
    requests = [log.request(10, size) for size in (15, 20, 25, 30, 35, 40)]
    with ThreadPoolExecutor(len(requests)) as pool:
        answers = list(pool.map(lambda body: post(witness, body), requests))
    winners = [
        size for size, (status, _) in zip((15, 20, 25, 30, 35, 40), answers, strict=True) if status == 200
    ]
    assert len(winners) == 1, answers
    assert all(status == 409 for status, _ in answers if status != 200)
    assert post(witness, log.request(0)) == (409, f"{winners[0]}\n".encode())
