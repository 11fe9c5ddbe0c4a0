"""``leasechain log monitor`` against a split view: two clients are served different histories by one
log key.  The honest history was co-signed by a witness; a client that never saw it still catches
the other history, because the witness's checkpoint and the served one cannot both be true."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_client.tlog import log_verifier, parse_text
from chain_client.tlog import note as notes
from chain_client.tlog.note import VerifierKey
from harness.ports import wait_for_port
from tests.cli.runner import Cli
from tests.gateway.ledger_backend import LedgerBackend, seeded
from tests.witness.harness import OurWitness

pytestmark = pytest.mark.slow


class Backend(LedgerBackend):
    """The ledger backend with extra ``serve`` arguments (a witness policy)."""

    def __init__(self, data_dir: Path, *extra: str) -> None:
        super().__init__(data_dir)
        self.extra = list(extra)

    def start(self) -> None:
        args = [sys.executable, "-m", "backend", "serve", "--port", str(self.port)]
        args += ["--data-dir", str(self.data_dir), "--verify-workers", "1", *self.extra]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.log.open("ab"))
        wait_for_port("127.0.0.1", self.port, timeout=30)


def grow(backend: LedgerBackend, label: str, count: int) -> None:
    for i in range(count):
        backend.submit(
            seeded(f"{label}-{i}"), "register_enterprise", name=f"{label} {i}", roles=["lessee"], info={}
        )


def log_vkey() -> VerifierKey:
    public = bytes(seeded("operator").verify_key)
    return log_verifier(f"leasechain.invalid/{public.hex()[:16]}", public)


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[OurWitness]:
    w = OurWitness(tmp_path / "witness", "witness.example.org/w1", [log_vkey()])
    w.start()
    yield w
    w.stop()


def wait_size(cli: Cli, state: Path, policy: Path, size: int) -> dict[str, object]:
    import time

    deadline = time.monotonic() + 30
    while True:
        seen: dict[str, object] = cli.ok("log", "monitor", "--state", str(state), "--policy", str(policy))
        if seen["checkpoint_size"] == size:
            return seen
        assert time.monotonic() < deadline, seen
        time.sleep(0.2)


def test_a_client_shown_another_history_catches_it_through_the_witness(
    witness: OurWitness, tmp_path: Path
) -> None:
    policy = tmp_path / "witnesses.policy"
    policy.write_text(f"log {log_vkey().vkey()}\nwitness w1 {witness.vkey} {witness.url}\nquorum w1\n")
    honest = Backend(tmp_path / "honest", "--witness-policy", str(policy))
    honest.start()
    try:
        grow(honest, "a", 5)
        assert log_vkey().vkey() == honest.get("/v1/info")["vkey"]
        alice = Cli(honest.url, tmp_path / "ks.json")
        seen = wait_size(alice, tmp_path / "alice.json", policy, 6)
        assert seen["ok"] is True
        assert seen["witnesses"] == ["w1"]
    finally:
        honest.kill()

    # The same key serves Bob another, longer history; no witness will co-sign it.
    other = Backend(tmp_path / "other")
    other.start()
    try:
        grow(other, "b", 9)
        bob = Cli(other.url, tmp_path / "ks.json")
        result = bob.run(
            "log", "monitor", "--state", str(tmp_path / "bob.json"), "--policy", str(policy), "--json"
        )
        assert result.code == 7, result
        seen = result.json()
        assert seen["split_view"] is True
        assert "witness w1's checkpoint" in seen["detail"]
        assert "not consistent" in seen["detail"]
        alert = json.loads((tmp_path / "bob.json").read_text())["alerts"][0]
        sizes = sorted(parse_text(notes.parse(c.encode()).text).size for c in alert["checkpoints"])
        assert sizes == [6, 10]  # both signed checkpoints kept: together they prove the split view
        # Without a policy Bob's own view is consistent; only what the witness saw reveals the split.
        alone = bob.run("log", "monitor", "--state", str(tmp_path / "bob-alone.json"), "--json")
        assert alone.code == 0, alone
        # Alice, who kept the honest checkpoint, catches it from her own state too.
        alice_again = Cli(other.url, tmp_path / "ks.json").run(
            "log", "monitor", "--state", str(tmp_path / "alice.json"), "--json"
        )
        assert alice_again.code == 7, alice_again
    finally:
        other.kill()


def test_the_same_size_with_another_root_is_a_split_view(witness: OurWitness, tmp_path: Path) -> None:
    policy = tmp_path / "witnesses.policy"
    policy.write_text(f"witness w1 {witness.vkey} {witness.url}\nquorum w1\n")
    honest = Backend(tmp_path / "honest", "--witness-policy", str(policy))
    honest.start()
    try:
        grow(honest, "a", 3)
        wait_size(Cli(honest.url, tmp_path / "ks.json"), tmp_path / "alice.json", policy, 4)
    finally:
        honest.kill()
    other = Backend(tmp_path / "other")
    other.start()
    try:
        grow(other, "b", 3)
        result = Cli(other.url, tmp_path / "ks.json").run(
            "log", "monitor", "--state", str(tmp_path / "bob.json"), "--policy", str(policy)
        )
        assert result.code == 7, result
        assert "two checkpoints of size 4 with different roots" in result.out
    finally:
        other.kill()
