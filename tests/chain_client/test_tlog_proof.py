"""c2sp.org/tlog-proof@v1: our proofs check with aics-tlog's inclusion verifier, and every tampering fails."""

from __future__ import annotations

import aics_tlog
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chain_client import merkle
from chain_client.tlog import NoteError, cosigner, parse_text
from chain_client.tlog import note as notes
from chain_client.tlog.proof import HEADER, TlogProof, parse_proof, verify_proof
from tests.witness.harness import Log

WITNESS = Ed25519PrivateKey.from_private_bytes(b"\x05" * 32)
WITNESS_NAME = "w.example.org/aics"


def proof_for(index: int, extra: bytes | None = None) -> tuple[Log, bytes, TlogProof]:
    log = Log()
    log.grow(37)
    signed = log.checkpoint()
    checkpoint = parse_text(notes.parse(signed).text)
    # A witness cosignature made by aics-tlog, not by our code.
    _, line = aics_tlog.sign_cosignature(
        WITNESS, WITNESS_NAME, 1_700_000_000, log.origin, 37, checkpoint.root
    )
    theirs = aics_tlog.parse_note(signed)
    cosigned = aics_tlog.Note(theirs.text, (*theirs.signatures, line)).to_bytes()
    path = tuple(merkle.inclusion_proof(log.hashes, index))
    return log, f"entry {index}".encode(), TlogProof(index, path, cosigned, extra)


def test_a_proof_round_trips_and_verifies_with_its_witness() -> None:
    log, leaf, proof = proof_for(12, extra=b"context")
    text = proof.encode()
    assert text.startswith(HEADER + "\nextra Y29udGV4dA==\nindex 12\n")
    parsed = parse_proof(text)
    assert parsed == proof
    key = cosigner(WITNESS_NAME, WITNESS.public_key().public_bytes_raw())
    proven = verify_proof(parsed, leaf, log.vkey, [key])
    assert proven.witnesses == {WITNESS_NAME: 1_700_000_000}
    assert proven.checkpoint.size == 37
    assert aics_tlog.verify_leaf_inclusion(leaf, 12, 37, list(parsed.path), proven.checkpoint.root)


def test_a_proof_for_another_entry_or_another_log_fails() -> None:
    log, leaf, proof = proof_for(3)
    with pytest.raises(NoteError, match="inclusion of entry 3"):
        verify_proof(proof, b"entry 4", log.vkey)
    with pytest.raises(NoteError, match="inclusion"):
        verify_proof(TlogProof(4, proof.path, proof.checkpoint), leaf, log.vkey)
    with pytest.raises(NoteError, match=r"not the log's|no signature"):
        verify_proof(proof, leaf, Log(seed="another").vkey)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("c2sp.org/tlog-proof@v2\nindex 0\n\nx\n", "not 'c2sp.org/tlog-proof@v1'"),
        (HEADER + "\nindex 01\n\nx\n", "leading zeroes"),
        (HEADER + "\n\nx\n", "no 'index"),
        (HEADER + "\nindex 0\nAAAA\n\nx\n", "SHA-256"),
        (HEADER + "\nindex 0\nnot base64\n\nx\n", "not base64"),
        (HEADER + "\nindex 0\n", "no empty line"),
        (HEADER + "\nindex 0\n" + ("A" * 43 + "=\n") * 64 + "\nx\n", "over 63"),
        ("x" * 70_000, "over"),
    ],
)
def test_malformed_proofs_are_refused(text: str, why: str) -> None:
    with pytest.raises(NoteError, match=why):
        parse_proof(text)
