"""``leasechain log``: verified tree heads and inclusion proofs, and the monitor catching a rewritten log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.runner import Cli
from tests.cli.story import Story
from tests.gateway.ledger_backend import LedgerBackend, seeded


def test_head_and_proof_are_verified(story: Story) -> None:
    head = story.cli.ok("log", "head")
    assert head["verified"] is True
    assert head["public_key"] == story.accounts["operator"]
    proof = story.cli.ok("log", "proof", str(story.batch))
    assert proof["verified"] is True
    assert proof["leaf_index"] == story.batch
    older = story.cli.ok("log", "proof", "1", "--tree-size", "5")
    assert older["tree_size"] == 5


def test_a_head_checked_against_the_wrong_log_key_fails(story: Story) -> None:
    result = story.cli.run("log", "head", "--log-key", "11" * 32)
    assert result.code == 5
    assert "tree head names log key" in result.err


@pytest.fixture
def ledgers(tmp_path: Path) -> Iterator[list[LedgerBackend]]:
    """Backends started by the test; all share the seeded operator key, as a rewritten log would."""
    started: list[LedgerBackend] = []
    yield started
    for backend in started:
        backend.kill()


def _start(ledgers: list[LedgerBackend], path: Path) -> LedgerBackend:
    backend = LedgerBackend(path)
    backend.start()
    ledgers.append(backend)
    return backend


def _grow(backend: LedgerBackend, label: str, count: int) -> None:
    for i in range(count):
        key = seeded(f"{label}-{i}")
        backend.submit(key, "register_enterprise", name=f"{label} {i}", roles=["lessee"], info={})


def test_the_monitor_accepts_a_growing_log_and_catches_a_rewritten_one(
    ledgers: list[LedgerBackend], tmp_path: Path
) -> None:
    state = tmp_path / "monitor.json"
    honest = _start(ledgers, tmp_path / "honest")
    _grow(honest, "a", 3)
    cli = Cli(honest.url, tmp_path / "ks.json")
    first = cli.ok("log", "monitor", "--state", str(state))
    assert first["ok"] is True
    assert first["previous"] is None
    _grow(honest, "b", 2)
    grown = cli.ok("log", "monitor", "--state", str(state))
    assert grown["previous"]["tree_size"] == first["head"]["tree_size"]
    assert grown["head"]["tree_size"] == first["head"]["tree_size"] + 2
    kept = json.loads(state.read_text())
    assert [h["tree_size"] for h in kept["heads"]] == [4, 6]
    honest.kill()

    # The same operator key serves another history, longer than what the monitor saw.
    rewritten = _start(ledgers, tmp_path / "rewritten")
    _grow(rewritten, "c", 8)
    result = Cli(rewritten.url, tmp_path / "ks.json").run("log", "monitor", "--state", str(state), "--json")
    assert result.code == 7, result  # a split view
    seen = result.json()
    assert seen["ok"] is False
    assert "does not extend the head of size 6" in seen["detail"]
    kept = json.loads(state.read_text())
    assert [h["tree_size"] for h in kept["heads"]] == [4, 6]  # the inconsistent head is not kept...
    assert kept["alerts"][0]["head"]["tree_size"] == 9  # ...it is recorded as evidence


def test_the_monitor_catches_a_fork_at_the_same_size(ledgers: list[LedgerBackend], tmp_path: Path) -> None:
    state = tmp_path / "monitor.json"
    one = _start(ledgers, tmp_path / "one")
    _grow(one, "x", 2)
    assert Cli(one.url, tmp_path / "ks.json").ok("log", "monitor", "--state", str(state))["ok"]
    two = _start(ledgers, tmp_path / "two")
    _grow(two, "y", 2)
    result = Cli(two.url, tmp_path / "ks.json").run("log", "monitor", "--state", str(state))
    assert result.code == 7
    assert "two different roots were signed for size 3" in result.out


def test_the_monitor_pins_the_log_key(ledgers: list[LedgerBackend], tmp_path: Path) -> None:
    state = tmp_path / "monitor.json"
    one = _start(ledgers, tmp_path / "one")
    cli = Cli(one.url, tmp_path / "ks.json")
    cli.ok("log", "monitor", "--state", str(state))
    result = cli.run("log", "monitor", "--state", str(state), "--log-key", "22" * 32)
    assert result.code == 1
    assert "pins log key" in result.err
