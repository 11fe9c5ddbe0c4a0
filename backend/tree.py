"""An append-only RFC 9162 Merkle tree with cached complete subtrees.

Appending costs O(1) amortised hashes; the root of any prefix and its
inclusion and consistency proofs cost O(log² n), because every subtree the
RFC's recursion visits is either a cached complete subtree or splits into one
and a smaller remainder.  The proofs are exactly those of
:mod:`chain_client.merkle` (the tests check them with its verifiers).
"""

from __future__ import annotations

from chain_client.errors import MerkleError
from chain_client.merkle import EMPTY_ROOT, consistency_ranges, inclusion_ranges, node_hash, split


class MerkleTree:
    """Leaf hashes plus, per level, the hashes of the complete subtrees so far."""

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def leaf(self, index: int) -> bytes:
        """Leaf hash at ``index``."""
        return self._levels[0][index]

    def complete(self, height: int, start: int, stop: int) -> list[bytes]:
        """Roots of the complete subtrees of ``2**height`` leaves number ``start`` to ``stop - 1``."""
        if height >= len(self._levels) or stop > len(self._levels[height]):
            raise MerkleError(f"the tree has no complete subtree {height}/{stop - 1}")
        return self._levels[height][start:stop]

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash."""
        levels = self._levels
        levels[0].append(leaf_hash)
        index, level = len(levels[0]) - 1, 0
        while index & 1:
            if len(levels) == level + 1:
                levels.append([])
            row = levels[level]
            levels[level + 1].append(node_hash(row[index - 1], row[index]))
            index >>= 1
            level += 1

    def _subtree(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        if n & (n - 1) == 0:
            level = n.bit_length() - 1
            return self._levels[level][lo >> level]
        k = split(n)
        return node_hash(self._subtree(lo, lo + k), self._subtree(lo + k, hi))

    def _check_size(self, size: int) -> None:
        if not 0 <= size <= self.size:
            raise MerkleError(f"tree size {size} is not within 0..{self.size}")

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the first ``size`` leaves (default: all)."""
        size = self.size if size is None else size
        self._check_size(size)
        return EMPTY_ROOT if size == 0 else self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
        self._check_size(size)
        return [self._subtree(lo, hi) for lo, hi in inclusion_ranges(index, size)]

    def consistency_proof(self, old_size: int, size: int) -> list[bytes]:
        """Proof that the first ``old_size`` leaves are a prefix of the first ``size``."""
        self._check_size(size)
        return [self._subtree(lo, hi) for lo, hi in consistency_ranges(old_size, size)]
