"""Our witness driven by aics-witness's log-side client (PyPI, not ours): it speaks the protocol the
way another implementation expects, and the lines it returns pass that client's own checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aics_tlog
import pytest
from aics_witness.feeder import WitnessClient, WitnessRejected, merge_cosignatures

from tests.witness.harness import Log, OurWitness

pytestmark = pytest.mark.slow


@pytest.fixture
def ours(tmp_path: Path) -> Iterator[tuple[OurWitness, Log]]:
    log = Log()
    witness = OurWitness(tmp_path / "w", "witness.example.org/ours", [log.vkey])
    witness.start()
    yield witness, log
    witness.stop()


def test_aics_witness_client_feeds_our_witness(ours: tuple[OurWitness, Log], tmp_path: Path) -> None:
    witness, log = ours
    client = WitnessClient(witness.url, witness.vkey, state_path=tmp_path / "feeder.json")
    for grow in (5, 1, 300):
        log.grow(grow)
        line = client.submit(log.checkpoint(), log.proof)  # verified by the client against our vkey
        whole = merge_cosignatures(log.checkpoint(), line)
        checked = aics_tlog.verify_checkpoint(
            aics_tlog.parse_note(whole),
            aics_tlog.parse_vkey(log.vkey.vkey()),
            [aics_tlog.parse_vkey(witness.vkey)],
            1,
        )
        assert checked.ok, checked.error
        assert checked.size == len(log.hashes)
    # A client that forgot the witness's size (no state file) is told it by a 409 and recovers.
    log.grow(7)
    fresh = WitnessClient(witness.url, witness.vkey)
    assert fresh.submit(log.checkpoint(), log.proof).startswith("\u2014 witness.example.org/ours ")


def test_aics_witness_client_sees_our_refusal_of_a_fork(ours: tuple[OurWitness, Log]) -> None:
    witness, log = ours
    log.grow(10)
    WitnessClient(witness.url, witness.vkey).submit(log.checkpoint(), log.proof)
    fork = Log()
    fork.grow(12, tag="fork ")
    with pytest.raises(WitnessRejected):
        WitnessClient(witness.url, witness.vkey).submit(fork.checkpoint(), fork.proof)
