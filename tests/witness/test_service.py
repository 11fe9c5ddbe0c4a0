"""The witness's add-checkpoint rules (c2sp.org/tlog-witness), called in process on a real data directory."""

from __future__ import annotations

import base64
from pathlib import Path

import aics_tlog
import pytest
from nacl.signing import SigningKey

from chain_client.merkle import EMPTY_ROOT
from chain_client.tlog import Checkpoint, sign_checkpoint, verify_cosignatures
from chain_client.tlog import note as notes
from chain_client.tlog.witness import SIZE_MEDIA_TYPE, AddCheckpoint, cosignatures
from tests.witness.harness import Log
from witness.errors import WitnessError
from witness.service import Witness
from witness.state import Views

NAME = "witness.example.org/w1"
KEY = SigningKey(b"\x07" * 32)


def make(tmp: Path, log: Log, clock: float = 1_800_000_000) -> Witness:
    return Witness(NAME, KEY, [log.vkey], Views(tmp / "views"), clock=lambda: clock)


def test_cosigns_a_first_checkpoint_and_the_cosignature_verifies_with_aics_tlog(tmp_path: Path) -> None:
    log = Log()
    log.grow(10)
    witness = make(tmp_path, log)
    answer = witness.add_checkpoint(log.request(0))
    assert answer.status == 200, answer.body
    signed = notes.parse(log.checkpoint())
    lines = cosignatures(answer.body, signed, witness.vkey)
    assert verify_cosignatures(notes.Note(signed.text, lines), [witness.vkey]) == {NAME: 1_800_000_000}
    whole = log.checkpoint() + answer.body
    theirs = aics_tlog.verify_checkpoint(
        aics_tlog.parse_note(whole),
        aics_tlog.parse_vkey(log.vkey.vkey()),
        [aics_tlog.parse_vkey(witness.vkey.vkey())],
        1,
    )
    assert (theirs.ok, theirs.witnesses) == (True, [NAME]), theirs.error


def test_a_grown_checkpoint_needs_a_proof_from_the_size_cosigned(tmp_path: Path) -> None:
    log = Log()
    log.grow(10)
    witness = make(tmp_path, log)
    assert witness.add_checkpoint(log.request(0)).status == 200
    log.grow(7)
    stale = witness.add_checkpoint(log.request(0))
    assert (stale.status, stale.body, stale.media_type) == (409, b"10\n", SIZE_MEDIA_TYPE)
    assert witness.add_checkpoint(log.request(10)).status == 200
    assert witness.views.get(log.origin).size == 17  # type: ignore[union-attr]
    # The same checkpoint again (a lost answer) is cosigned again, never dated earlier.
    assert witness.add_checkpoint(log.request(17)).status == 200


def test_a_forked_checkpoint_is_refused_and_the_view_kept(tmp_path: Path) -> None:
    log = Log()
    log.grow(10)
    witness = make(tmp_path, log)
    assert witness.add_checkpoint(log.request(0)).status == 200
    fork = Log()  # the same key and origin, another history
    fork.grow(9)
    fork.grow(1, tag="other ")
    same_size = witness.add_checkpoint(fork.request(10))
    assert same_size.status == 422
    assert b"fork" in same_size.body
    fork.grow(5)
    grown = witness.add_checkpoint(fork.request(10))
    assert grown.status == 422
    assert b"consistency proof" in grown.body
    view = witness.views.get(log.origin)
    assert view is not None
    assert (view.size, view.root) == (10, notes_root(log))


def notes_root(log: Log) -> bytes:
    from chain_client.tlog import parse_text

    return parse_text(notes.parse(log.checkpoint()).text).root


def test_unknown_logs_bad_signatures_and_bad_sizes_get_the_spec_status(tmp_path: Path) -> None:
    log = Log()
    log.grow(4)
    witness = make(tmp_path, log)
    other = Log(origin="other.example/log")
    other.grow(4)
    assert witness.add_checkpoint(other.request(0)).status == 404
    impostor = Log(seed="not the log key")
    impostor.grow(4)
    assert witness.add_checkpoint(impostor.request(0)).status == 403
    signed = log.checkpoint()
    tampered = signed.replace(b"\n4\n", b"\n5\n", 1)
    assert witness.add_checkpoint(AddCheckpoint(0, (), tampered).encode()).status == 403
    assert witness.add_checkpoint(AddCheckpoint(5, (), signed).encode()).status == 400
    with_proof = AddCheckpoint(0, (b"\x00" * 32,), signed).encode()
    assert witness.add_checkpoint(with_proof).status == 422
    empty = sign_checkpoint(Checkpoint(log.origin, 0, b"\x01" * 32), log.key).encode()
    assert witness.add_checkpoint(AddCheckpoint(0, (), empty).encode()).status == 422
    right = sign_checkpoint(Checkpoint(log.origin, 0, EMPTY_ROOT), log.key).encode()
    assert witness.add_checkpoint(AddCheckpoint(0, (), right).encode()).status == 200
    assert witness.views.get(log.origin) is not None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"old 0\n",
        b"old 01\n\n",
        b"old -1\n\nx\n",
        b"new 0\n\n",
        b"old 99999999999999999999\n\n",
        b"old 3\nnot base64!\n\n",
        b"old 3\n" + base64.b64encode(b"short") + b"\n\n",
        b"old 0\n\n\xff\xfe",
        b"old 0\n\nledger.example.com/leasechain\n1\nAAAA\n\n",
        b"old 1\n" + (base64.b64encode(b"\x00" * 32) + b"\n") * 64 + b"\n",
    ],
)
def test_malformed_requests_are_400_and_change_nothing(tmp_path: Path, body: bytes) -> None:
    log = Log()
    log.grow(3)
    witness = make(tmp_path, log)
    assert witness.add_checkpoint(body).status == 400
    assert witness.views.get(log.origin) is None


def test_a_clock_that_went_back_never_dates_a_cosignature_earlier(tmp_path: Path) -> None:
    log = Log()
    log.grow(2)
    assert make(tmp_path, log, clock=2_000).add_checkpoint(log.request(0)).status == 200
    log.grow(2)
    later = make(tmp_path, log, clock=1_000)
    answer = later.add_checkpoint(log.request(2))
    signed = notes.parse(log.checkpoint())
    assert verify_cosignatures(
        notes.Note(signed.text, cosignatures(answer.body, signed, later.vkey)), [later.vkey]
    ) == {NAME: 2_000}


def test_a_damaged_view_stops_the_witness_rather_than_forgetting(tmp_path: Path) -> None:
    log = Log()
    log.grow(2)
    witness = make(tmp_path, log)
    assert witness.add_checkpoint(log.request(0)).status == 200
    witness.views.path(log.origin).write_text("{ not json")
    with pytest.raises(WitnessError, match="damaged"):
        witness.add_checkpoint(log.request(2))
