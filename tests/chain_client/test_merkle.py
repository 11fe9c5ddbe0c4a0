"""RFC 9162 Merkle trees: known answers, proofs and their verification."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain_client import merkle
from chain_client.errors import MerkleError

CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
# Published Certificate Transparency test values, independent of this code.
CT_ROOT_1 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
CT_ROOT_8 = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
CT_CONSISTENCY_1_8 = [
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]
CT_CONSISTENCY_2_5 = ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"]

HASHES = [merkle.leaf_hash(leaf) for leaf in CT_LEAVES]


def test_known_roots() -> None:
    assert merkle.root(CT_LEAVES[:1]).hex() == CT_ROOT_1
    assert merkle.root(CT_LEAVES).hex() == CT_ROOT_8
    assert merkle.root([]) == merkle.EMPTY_ROOT


def test_known_consistency_proofs() -> None:
    assert [h.hex() for h in merkle.consistency_proof(HASHES, 1)] == CT_CONSISTENCY_1_8
    proof = merkle.consistency_proof(HASHES[:5], 2)
    assert [h.hex() for h in proof][:1] == CT_CONSISTENCY_2_5
    merkle.verify_consistency(
        2, 5, merkle.root_from_leaf_hashes(HASHES[:2]), merkle.root_from_leaf_hashes(HASHES[:5]), proof
    )


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
def test_every_inclusion_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    root = merkle.root_from_leaf_hashes(hashes)
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = merkle.inclusion_proof(hashes, index)
    merkle.verify_inclusion(hashes[index], index, len(leaves), proof, root)
    other = data.draw(st.integers(0, len(leaves) - 1))
    if hashes[other] != hashes[index]:
        with pytest.raises(MerkleError):
            merkle.verify_inclusion(hashes[other], index, len(leaves), proof, root)


@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
def test_every_consistency_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    new = len(hashes)
    old = data.draw(st.integers(1, new))
    old_root = merkle.root_from_leaf_hashes(hashes[:old])
    new_root = merkle.root_from_leaf_hashes(hashes)
    proof = merkle.consistency_proof(hashes, old)
    merkle.verify_consistency(old, new, old_root, new_root, proof)


@given(st.lists(st.binary(max_size=4), min_size=2, max_size=40, unique=True), st.data())
def test_rewritten_history_fails_consistency(leaves: list[bytes], data: st.DataObject) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    old = data.draw(st.integers(1, len(hashes) - 1))
    victim = data.draw(st.integers(0, old - 1))
    rewritten = list(hashes)
    rewritten[victim] = merkle.leaf_hash(b"forged" + leaves[victim])
    with pytest.raises(MerkleError):
        merkle.verify_consistency(
            old,
            len(hashes),
            merkle.root_from_leaf_hashes(hashes[:old]),
            merkle.root_from_leaf_hashes(rewritten),
            merkle.consistency_proof(rewritten, old),
        )


def test_tampered_inclusion_proof_fails() -> None:
    root = merkle.root_from_leaf_hashes(HASHES)
    proof = merkle.inclusion_proof(HASHES, 5)
    merkle.verify_inclusion(HASHES[5], 5, 8, proof, root)
    bad = [proof[0], bytes(32), *proof[2:]]
    with pytest.raises(MerkleError, match="expected"):
        merkle.verify_inclusion(HASHES[5], 5, 8, bad, root)
    with pytest.raises(MerkleError, match="shorter"):
        merkle.verify_inclusion(HASHES[5], 5, 8, proof[:-1], root)
    with pytest.raises(MerkleError, match="longer"):
        merkle.verify_inclusion(HASHES[5], 5, 8, [*proof, bytes(32)], root)
    with pytest.raises(MerkleError, match="outside"):
        merkle.verify_inclusion(HASHES[5], 8, 8, proof, root)
    with pytest.raises(MerkleError, match="32-byte"):
        merkle.verify_inclusion(HASHES[5], 5, 8, [b"short"], root)


def test_bad_requests_name_the_value() -> None:
    with pytest.raises(MerkleError, match="index 3 is outside a tree of size 3"):
        merkle.inclusion_proof(HASHES[:3], 3)
    with pytest.raises(MerkleError, match="old tree size 0"):
        merkle.consistency_proof(HASHES, 0)
    with pytest.raises(MerkleError, match="leaf hash 1 is 3 bytes"):
        merkle.root_from_leaf_hashes([HASHES[0], b"abc"])
    with pytest.raises(MerkleError, match="rewritten"):
        merkle.verify_consistency(4, 4, HASHES[0], HASHES[1], [])
