"""What the bridge anchors as a checkpoint's cosignatures: witness lines that verify, never the log's own."""

from __future__ import annotations

import hashlib

import pytest
from nacl.signing import SigningKey

from bridge.ledger import count_cosignatures
from chain_client.tlog import Checkpoint, Note, NoteError, cosign, cosigner, sign_checkpoint


def _key(label: str) -> SigningKey:
    return SigningKey(hashlib.sha256(label.encode()).digest())


def _cosigned() -> tuple[Note, SigningKey, SigningKey]:
    checkpoint = Checkpoint("ledger.test/log", 42, bytes(32))
    signed = sign_checkpoint(checkpoint, _key("log"))
    alice, bob = _key("alice"), _key("bob")
    lines = (
        cosign(signed.text, "alice.test", alice, 1_700_000_000),
        cosign(signed.text, "bob.test", bob, 1_700_000_001),
    )
    return Note(signed.text, signed.signatures + lines), alice, bob


def test_only_lines_of_configured_witnesses_that_verify_count() -> None:
    note, alice, bob = _cosigned()
    alice_key = cosigner("alice.test", bytes(alice.verify_key))
    bob_key = cosigner("bob.test", bytes(bob.verify_key))
    assert count_cosignatures(note, []) == 0  # nobody to check them against: none counts
    assert count_cosignatures(note, [alice_key]) == 1
    assert count_cosignatures(note, [alice_key, bob_key]) == 2
    stranger = cosigner("carol.test", bytes(_key("carol").verify_key))
    assert count_cosignatures(note, [stranger]) == 0


def test_a_forged_cosignature_of_a_configured_witness_is_refused() -> None:
    note, alice, _ = _cosigned()
    forged_key = cosigner("alice.test", bytes(_key("mallory").verify_key))
    # Same name, another key: its key id differs, so the line is not the configured witness's.
    assert count_cosignatures(note, [forged_key]) == 0
    tampered = Note(note.text.replace("42", "43"), note.signatures)
    with pytest.raises(NoteError, match="does not verify"):
        count_cosignatures(tampered, [cosigner("alice.test", bytes(alice.verify_key))])
