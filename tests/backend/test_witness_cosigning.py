"""The log's side of c2sp.org/tlog-witness: cosignatures collected from real witnesses (ours and
aics-witness, not ours), 409 answers, witnesses down, hostile witnesses, and the k-of-n quorum."""

from __future__ import annotations

import asyncio
import http.server
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import aics_tlog
import pytest

from backend.errors import WitnessError
from backend.witnesses import Cosigner, WitnessClient
from chain_client.ledger import sign
from chain_client.tlog import cosigner, parse_text
from chain_client.tlog import note as notes
from chain_client.tlog.policy import Policy, parse_policy
from tests.backend.server import OPERATOR_KEY, Server, command
from tests.backend.world import seeded_key
from tests.witness.harness import ORIGIN, Log, OurWitness, TheirWitness

pytestmark = pytest.mark.slow


def policy_text(log: Log, witnesses: list[OurWitness | TheirWitness], quorum: int) -> str:
    lines = [f"log {log.vkey.vkey()}"]
    lines += [f"witness w{i} {w.vkey} {w.url}" for i, w in enumerate(witnesses)]
    names = " ".join(f"w{i}" for i in range(len(witnesses)))
    lines += [f"group all-witnesses {quorum} {names}", "quorum all-witnesses"]
    return "\n".join(lines) + "\n"


def cosign(policy: Policy, log: Log) -> tuple[bytes | None, Cosigner]:
    """One round, as a log that just started (it knows nothing of what the witnesses hold)."""

    async def proof(old: int, new: int) -> list[bytes]:
        return log.proof(old, new)

    async def run() -> tuple[bytes | None, Cosigner]:
        cosigner = Cosigner(policy, timeout=3, backoff=0.05)
        try:
            return await cosigner.round(log.checkpoint(), proof), cosigner
        finally:
            await cosigner.close()

    return asyncio.run(run())


@pytest.fixture
def three(tmp_path: Path) -> Iterator[tuple[Log, list[OurWitness | TheirWitness]]]:
    log = Log()
    witnesses: list[OurWitness | TheirWitness] = [
        OurWitness(tmp_path / "w0", "w0.example.org/witness", [log.vkey]),
        OurWitness(tmp_path / "w1", "w1.example.org/witness", [log.vkey]),
        TheirWitness(tmp_path / "w2", "w2.example.org/aics", [log.vkey]),
    ]
    for w in witnesses:
        w.start()
    try:
        yield log, witnesses
    finally:
        for w in witnesses:
            w.stop()


def test_three_witnesses_ours_and_aics_cosign_and_aics_tlog_counts_them(
    three: tuple[Log, list[OurWitness | TheirWitness]],
) -> None:
    log, witnesses = three
    policy = parse_policy(policy_text(log, witnesses, 3))
    log.grow(40)
    whole, cosigner = cosign(policy, log)
    assert whole is not None
    assert cosigner.published.cosigners == ["w0", "w1", "w2"]
    assert policy.cosigners(notes.parse(whole)) == ["w0", "w1", "w2"]
    theirs = aics_tlog.verify_checkpoint(
        aics_tlog.parse_note(whole),
        aics_tlog.parse_vkey(log.vkey.vkey()),
        [aics_tlog.parse_vkey(w.vkey) for w in witnesses],
        3,
    )
    assert theirs.ok, theirs.error
    assert sorted(theirs.witnesses) == sorted(w.name for w in witnesses)
    # The log restarts (it forgot what each witness holds): 409s tell it, and the next round succeeds.
    log.grow(25)
    again, fresh = cosign(policy, log)
    assert again is not None
    assert parse_text(notes.parse(again).text).size == 65
    assert all(c.size == 65 for c in fresh.clients.values())


def test_the_quorum_decides_and_a_down_witness_is_retried_then_left_out(
    three: tuple[Log, list[OurWitness | TheirWitness]],
) -> None:
    log, witnesses = three
    two_of_three = parse_policy(policy_text(log, witnesses, 2))
    log.grow(5)
    witnesses[0].stop()
    whole, cosigner = cosign(two_of_three, log)
    assert whole is not None
    assert cosigner.published.cosigners == ["w1", "w2"]
    assert "w0" in cosigner.published.failures
    witnesses[1].stop()
    log.grow(5)
    assert cosign(two_of_three, log)[0] is None  # one of three: not published
    witnesses[0].start()
    witnesses[1].start()
    log.grow(5)
    whole, cosigner = cosign(two_of_three, log)
    assert whole is not None
    assert cosigner.published.cosigners == ["w0", "w1", "w2"]


def test_a_forked_log_gets_no_cosignature(three: tuple[Log, list[OurWitness | TheirWitness]]) -> None:
    log, witnesses = three
    policy = parse_policy(policy_text(log, witnesses, 1))
    log.grow(10)
    assert cosign(policy, log)[0] is not None
    fork = Log()
    fork.grow(10, tag="fork ")
    whole, cosigner = cosign(policy, fork)
    assert whole is None
    assert sorted(cosigner.published.failures) == ["w0", "w1", "w2"]


class Hostile(http.server.BaseHTTPRequestHandler):
    answer: Callable[[], tuple[int, bytes]] = staticmethod(lambda: (200, b""))

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        status, body = type(self).answer()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ((200, b"x" * 100_000), "over"),
        ((200, b"\xe2\x80\x94 w.example/h AAAAAAAAAAAA\n"), "no cosignature"),
        ((409, b"999999\n"), "beyond this log"),
        ((409, b"abc\n"), "invalid"),
        ((403, b"go away\n"), "refused"),
        ((503, b"busy\n"), "did not cosign"),
    ],
)
def test_hostile_witness_answers_never_count(answer: tuple[int, bytes], why: str) -> None:
    handler = type("H", (Hostile,), {"answer": staticmethod(lambda: answer)})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        from chain_client.tlog.policy import Witness

        log = Log()
        log.grow(3)
        key = cosigner("w.example/h", b"\x11" * 32)
        url = f"http://127.0.0.1:{server.server_address[1]}"

        async def run() -> None:
            import httpx

            async with httpx.AsyncClient(timeout=3) as http_client:
                client = WitnessClient(Witness("h", key, url), http_client, backoff=0.01)
                signed = notes.parse(log.checkpoint())

                async def proof(old: int, new: int) -> list[bytes]:
                    return log.proof(old, new)

                await client.cosign(signed, parse_text(signed.text), proof)

        with pytest.raises(WitnessError, match=why):
            asyncio.run(run())
    finally:
        server.shutdown()
        server.server_close()


def _checkpoint_of_size(server: Server, size: int) -> bytes:
    deadline = time.monotonic() + 30
    while True:
        status, body = server.call("GET", "/checkpoint")
        if status == 200 and parse_text(notes.parse(body).text).size >= size:
            return bytes(body)
        if time.monotonic() > deadline:
            raise TimeoutError(f"/checkpoint did not reach size {size}: {status} {body!r}")
        time.sleep(0.1)


def test_the_server_publishes_only_cosigned_checkpoints_and_the_tiles_command_too(tmp_path: Path) -> None:
    key_file = tmp_path / "operator.key"
    key_file.write_text(bytes(OPERATOR_KEY).hex())
    data = tmp_path / "data"
    data.mkdir()
    log = Log()
    log.key, log.origin = OPERATOR_KEY, ORIGIN
    policy = tmp_path / "witnesses.policy"
    ours = [OurWitness(tmp_path / f"n{i}", f"n{i}.example.org/w", [log.vkey]) for i in range(2)]
    theirs = TheirWitness(tmp_path / "n2", "n2.example.org/aics", [log.vkey])
    everyone: list[OurWitness | TheirWitness] = [*ours, theirs]
    policy.write_text(policy_text(log, everyone, 2))
    for w in everyone:
        w.start()
    server = Server(data, key_file, (f"sqlite:///{data / 'ledger.sqlite3'}", None))
    server.args += ["--origin", ORIGIN, "--witness-policy", str(policy)]
    server.start()
    try:
        first = _checkpoint_of_size(server, 1)
        party = seeded_key("cosigned party")
        tx = sign(
            "register_enterprise",
            "reg-1",
            {"name": "P", "roles": ["investor"], "info": {}},
            party,
            ledger=bytes(OPERATOR_KEY.verify_key),
        )
        assert server.post("/v1/transactions", tx)[0] == 200
        body = _checkpoint_of_size(server, 2)
        checked = aics_tlog.verify_checkpoint(
            aics_tlog.parse_note(body),
            aics_tlog.parse_vkey(server.get("/v1/info")["vkey"]),
            [aics_tlog.parse_vkey(w.vkey) for w in everyone],
            3,
        )
        assert checked.ok, checked.error
        assert parse_text(notes.parse(first).text).size == 1
        ours[0].stop()
        ours[1].stop()
        tx2 = sign(
            "register_enterprise",
            "reg-2",
            {"name": "Q", "roles": ["investor"], "info": {}},
            party,
            ledger=bytes(OPERATOR_KEY.verify_key),
        )
        assert server.post("/v1/transactions", tx2)[0] == 200
        time.sleep(1.5)
        assert server.call("GET", "/checkpoint")[1] == body  # one witness of three: still size 2
        assert server.get("/v1/info")["size"] == 3
        ours[0].start()
        assert parse_text(notes.parse(_checkpoint_of_size(server, 3)).text).size == 3
    finally:
        server.stop()
        for w in everyone:
            w.stop()
    out = tmp_path / "static"
    done = subprocess.run(
        [
            *command(),
            "tiles",
            *server.db_args,
            "--key",
            str(key_file),
            "--origin",
            ORIGIN,
            "--out",
            str(out),
            "--witness-policy",
            str(policy),
        ],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 1  # every witness is down: tiles, but no checkpoint
    assert b"did not meet the witness quorum" in done.stderr
    assert not (out / "checkpoint").exists()
    assert (out / "tile/0/000.p/3").exists()
    for w in everyone:
        w.start()
    try:
        subprocess.run(
            [
                *command(),
                "tiles",
                *server.db_args,
                "--key",
                str(key_file),
                "--origin",
                ORIGIN,
                "--out",
                str(out),
                "--witness-policy",
                str(policy),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    finally:
        for w in everyone:
            w.stop()
    written = notes.parse((out / "checkpoint").read_bytes())
    assert parse_text(written.text).size == 3
    assert parse_policy(policy.read_text()).cosigners(written) == ["w0", "w1", "w2"]


def test_a_policy_the_log_cannot_use_is_refused_at_start(tmp_path: Path) -> None:
    log = Log()
    key = cosigner("w.example/w", bytes([3]) * 32).vkey()
    for text, why in [
        (f"witness w {key}\nquorum w\n", "no http"),
        (f"witness w {key} ftp://w.example/\nquorum w\n", "no http"),
        ("quorum x\n", "not defined"),
    ]:
        policy = tmp_path / "p"
        policy.write_text(text)
        data = tmp_path / "data"
        data.mkdir(exist_ok=True)
        (data / "operator.key").write_text(bytes(log.key).hex())
        done = subprocess.run(
            [*command(), "serve", "--data-dir", str(data), "--port", "0", "--witness-policy", str(policy)],
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 1
        assert why.encode() in done.stderr


def test_before_any_cosignature_the_checkpoint_is_503_and_the_rest_serves(tmp_path: Path) -> None:
    key_file = tmp_path / "operator.key"
    key_file.write_text(bytes(OPERATOR_KEY).hex())
    data = tmp_path / "data"
    data.mkdir()
    nobody = cosigner("w.example/w", bytes([4]) * 32).vkey()
    policy = tmp_path / "p"
    policy.write_text(f"witness w {nobody} http://127.0.0.1:9\nquorum w\n")
    server = Server(data, key_file, (f"sqlite:///{data / 'ledger.sqlite3'}", None))
    server.args += ["--witness-policy", str(policy)]
    server.start()
    try:
        status, answer = server.call("GET", "/checkpoint")
        assert (status, answer["reason"]) == (503, "not_witnessed")
        assert server.get("/v1/info")["size"] == 1
        assert server.call("GET", "/tile/0/000.p/1")[0] == 200
    finally:
        server.stop()
