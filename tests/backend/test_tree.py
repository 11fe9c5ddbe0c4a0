"""The backend's incremental tree gives exactly chain_client.merkle's roots and proofs."""

from __future__ import annotations

import hashlib

import pytest

from backend.tree import MerkleTree
from chain_client import merkle
from chain_client.errors import MerkleError


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(n)]


def test_roots_and_proofs_match_the_foundation_and_verify() -> None:
    hashes = _leaves(70)
    tree = MerkleTree()
    assert tree.root() == merkle.EMPTY_ROOT
    for h in hashes:
        tree.append(h)
    for size in range(1, 71):
        prefix = hashes[:size]
        root = tree.root(size)
        assert root == merkle.root_from_leaf_hashes(prefix)
        for index in range(size):
            path = tree.inclusion_proof(index, size)
            assert path == merkle.inclusion_proof(prefix, index)
            merkle.verify_inclusion(hashes[index], index, size, path, root)
        for old in range(1, size + 1):
            proof = tree.consistency_proof(old, size)
            assert proof == merkle.consistency_proof(prefix, old)
            merkle.verify_consistency(old, size, tree.root(old), root, proof)


def test_requests_outside_the_tree_are_refused() -> None:
    tree = MerkleTree()
    for h in _leaves(5):
        tree.append(h)
    with pytest.raises(MerkleError, match="tree size 6"):
        tree.root(6)
    with pytest.raises(MerkleError, match="leaf index 5"):
        tree.inclusion_proof(5, 5)
    with pytest.raises(MerkleError, match="old tree size 0"):
        tree.consistency_proof(0, 5)
