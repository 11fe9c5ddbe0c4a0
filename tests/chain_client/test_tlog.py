"""Signed notes, checkpoints, cosignatures and tiles, checked against the C2SP specs' examples and
against aics-tlog, a C2SP implementation from PyPI that shares no code with ours."""

from __future__ import annotations

import base64
import hashlib

import aics_tlog
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nacl.signing import SigningKey

from chain_client import merkle
from chain_client.tlog import (
    Checkpoint,
    NoteError,
    TileError,
    cosign,
    cosigner,
    log_verifier,
    parse_vkey,
    sign_checkpoint,
    verify_checkpoint,
    verify_cosignatures,
)
from chain_client.tlog import note as notes
from chain_client.tlog.tiles import TileTree, bundle_path, index_path, parse_tile_path, tile_path

KEY = SigningKey(hashlib.sha256(b"tlog test log key").digest())
ORIGIN = "ledger.example.com/leasechain"

# c2sp.org/signed-note, "Example".
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def test_the_spec_example_note_verifies_and_a_changed_one_does_not() -> None:
    key = parse_vkey(SPEC_VKEY)
    assert key.vkey() == SPEC_VKEY
    assert notes.verify(notes.parse(SPEC_NOTE), [key]) == [key]
    with pytest.raises(NoteError, match="does not verify"):
        notes.verify(notes.parse(SPEC_NOTE.replace("example message", "exemplary message")), [key])


def test_key_id_and_vkey_follow_the_spec() -> None:
    public = bytes(KEY.verify_key)
    expected_id = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + public).digest()[:4]
    vkey = log_verifier(ORIGIN, public).vkey()
    material = base64.b64encode(bytes([1]) + public).decode()
    assert vkey == f"{ORIGIN}+{expected_id.hex()}+{material}"
    assert aics_tlog.format_vkey(aics_tlog.vkey_from_ed25519(ORIGIN, public)) == vkey


def test_a_vkey_whose_key_has_plus_signs_in_base64_parses() -> None:
    key = next(
        k for k in (SigningKey(bytes([n]) * 32) for n in range(256))
        if "+" in base64.b64encode(b"\x01" + bytes(k.verify_key)).decode()
    )  # fmt: skip
    vkey = log_verifier(ORIGIN, bytes(key.verify_key)).vkey()
    assert notes.parse_vkey(vkey).public_key == bytes(key.verify_key)


def _tree(n: int) -> tuple[list[bytes], bytes]:
    leaves = [f"entry {i}".encode() * (1 + i % 5) for i in range(n)]
    return leaves, merkle.root(leaves)


def test_aics_tlog_verifies_our_checkpoint_and_we_verify_its_own() -> None:
    leaves, root = _tree(1000)
    signed = sign_checkpoint(Checkpoint(ORIGIN, len(leaves), root), KEY).encode()
    theirs = aics_tlog.parse_vkey(log_verifier(ORIGIN, bytes(KEY.verify_key)).vkey())
    result = aics_tlog.verify_checkpoint(aics_tlog.parse_note(signed), theirs, expected_origin=ORIGIN)
    assert (result.log_ok, result.size, result.root) == (True, 1000, root)

    other = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"their log").digest())
    their_note = aics_tlog.sign_checkpoint(aics_tlog.Checkpoint(ORIGIN, 1000, root), other, ORIGIN)
    their_vkey = aics_tlog.format_vkey(aics_tlog.vkey_from_ed25519(ORIGIN, other.public_key()))
    checkpoint, _ = verify_checkpoint(their_note.to_bytes(), parse_vkey(their_vkey))
    assert checkpoint == Checkpoint(ORIGIN, 1000, root)


def test_a_checkpoint_of_another_key_or_origin_or_with_a_changed_root_is_refused() -> None:
    _, root = _tree(10)
    signed = sign_checkpoint(Checkpoint(ORIGIN, 10, root), KEY).encode()
    stranger = log_verifier(ORIGIN, bytes(SigningKey.generate().verify_key))
    with pytest.raises(NoteError, match="no signature of a trusted key"):
        verify_checkpoint(signed, stranger)
    with pytest.raises(NoteError, match="origin"):
        verify_checkpoint(signed, log_verifier("elsewhere.example/log", bytes(KEY.verify_key)))
    forged = signed.replace(b"\n10\n", b"\n11\n")
    with pytest.raises(NoteError, match="does not verify"):
        verify_checkpoint(forged, log_verifier(ORIGIN, bytes(KEY.verify_key)))


def test_cosignatures_interoperate_both_ways() -> None:
    _, root = _tree(7)
    text = Checkpoint(ORIGIN, 7, root).text()
    witness = SigningKey(hashlib.sha256(b"witness one").digest())
    line = cosign(text, "witness.example/one", witness, 1_700_000_000)
    assert line.key_id == aics_tlog.cosignature_vkey("witness.example/one", bytes(witness.verify_key)).key_id
    assert aics_tlog.verify_cosignature(
        line.signature, "witness.example/one", bytes(witness.verify_key), ORIGIN, 7, root
    )
    theirs = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"witness two").digest())
    _, their_line = aics_tlog.sign_cosignature(theirs, "witness.example/two", 1_700_000_001, ORIGIN, 7, root)
    signed = sign_checkpoint(Checkpoint(ORIGIN, 7, root), KEY)
    their_lines = aics_tlog.Note(text, (their_line,)).serialise().split("\n\n")[1]
    cosigned = notes.parse(signed.encode() + their_lines.encode())
    their_key = cosigner("witness.example/two", theirs.public_key().public_bytes_raw())
    assert verify_cosignatures(cosigned, [their_key]) == {"witness.example/two": 1_700_000_001}


def test_tile_paths_are_the_specs() -> None:
    assert index_path(1234067) == "x001/x234/067"
    assert index_path(5) == "005"
    assert tile_path(1, 1234067, 8) == "tile/1/x001/x234/067.p/8" == aics_tlog.tiles.tile_path(1, 1234067, 8)
    assert bundle_path(0) == "tile/entries/000" == aics_tlog.tiles.entry_bundle_path(0)
    assert parse_tile_path("2/x001/000") == (2, 1000, 256)
    assert parse_tile_path("entries/003.p/9") == (None, 3, 9)
    for bad in ("0/1", "0/x001", "0/001/002", "00/000", "64/000", "0/000.p/0", "0/000.p/256", "0/x000/001"):
        with pytest.raises(TileError):
            parse_tile_path(bad)


@pytest.mark.parametrize("size", [1, 255, 256, 257, 70_000])
def test_proofs_from_aics_tlogs_tiles_match_ours(size: int) -> None:
    leaves = [i.to_bytes(4, "big") for i in range(size)]
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    root = merkle.root_from_leaf_hashes(hashes)
    tiles = aics_tlog.tiles.materialise_tiles(leaves)
    tree = TileTree(tiles.__getitem__, size)
    assert tree.root() == root
    for index in {0, size // 2, size - 1}:
        fresh = TileTree(tiles.__getitem__, size)
        assert fresh.entry(index) == leaves[index]
        proof = fresh.inclusion_proof(index)
        merkle.verify_inclusion(hashes[index], index, size, proof, root)
        assert len(fresh.reads) <= 5, fresh.reads
    if size > 1:
        old = size // 3 or 1
        proof = tree.consistency_proof(old)
        merkle.verify_consistency(old, size, merkle.root_from_leaf_hashes(hashes[:old]), root, proof)


def test_an_inclusion_proof_reads_at_most_five_tiles_below_256_cubed_entries() -> None:
    def blank(path: str) -> bytes:  # the count of reads depends on the shape only, not on the hashes
        _, _, width = parse_tile_path(path.removeprefix("tile/"))
        return bytes(32 * width)

    for size in (256**3 - 1, 256**3 - 257, 10_000_000, 65_537):
        for index in (0, size // 2, size - 1, size - 300, 16_638_325 % size):
            tree = TileTree(blank, size)
            tree.inclusion_proof(index)
            assert len(tree.reads) <= 5, (size, index, tree.reads)
