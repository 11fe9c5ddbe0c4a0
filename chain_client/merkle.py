"""RFC 9162 (Certificate Transparency v2) Merkle tree: hashes and proofs.

Leaves are hashed as ``SHA-256(0x00 || leaf)`` and interior nodes as
``SHA-256(0x01 || left || right)``; a tree of ``n`` leaves splits at the
largest power of two smaller than ``n``.  The functions here work on the
list of *leaf hashes*, so callers that keep only hashes (the backend log,
the gateway's batches) never need the leaves again.  Verification follows
the algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2 to the letter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from chain_client.errors import MerkleError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    """Hash of one leaf: ``SHA-256(0x00 || leaf)``."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _root(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 1:
        return hashes[lo]
    k = split(n)
    return node_hash(_root(hashes, lo, lo + k), _root(hashes, lo + k, hi))


def _check_hashes(hashes: Sequence[bytes]) -> None:
    for i, h in enumerate(hashes):
        if len(h) != HASH_SIZE:
            raise MerkleError(f"leaf hash {i} is {len(h)} bytes, expected {HASH_SIZE}")


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Merkle tree head (MTH) of a tree given its leaf hashes in order."""
    _check_hashes(hashes)
    if not hashes:
        return EMPTY_ROOT
    return _root(hashes, 0, len(hashes))


def root(leaves: Sequence[bytes]) -> bytes:
    """Merkle tree head of the raw ``leaves``."""
    return root_from_leaf_hashes([leaf_hash(leaf) for leaf in leaves])


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path (RFC 9162 PATH) proving leaf ``index`` is in the tree of ``hashes``."""
    _check_hashes(hashes)
    return [_root(hashes, lo, hi) for lo, hi in inclusion_ranges(index, len(hashes))]


def consistency_proof(hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof (RFC 9162 PROOF) that the first ``old_size`` leaves form a prefix of the tree."""
    _check_hashes(hashes)
    return [_root(hashes, lo, hi) for lo, hi in consistency_ranges(old_size, len(hashes))]


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for i, h in enumerate(proof):
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            raise MerkleError(f"proof element {i} is not a {HASH_SIZE}-byte hash")


def verify_inclusion(
    leaf_hash_: bytes, index: int, tree_size: int, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Check an inclusion proof (RFC 9162 2.1.3.2); raise :class:`MerkleError` if it fails."""
    _check_proof_hashes(proof)
    if not 0 <= index < tree_size:
        raise MerkleError(f"leaf index {index} is outside a tree of size {tree_size}")
    fn, sn, r = index, tree_size - 1, leaf_hash_
    for p in proof:
        if sn == 0:
            raise MerkleError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleError("inclusion proof is shorter than the tree is deep")
    if r != root_hash:
        raise MerkleError(
            f"inclusion proof for leaf {index} of {tree_size} gives root {r.hex()}, "
            f"expected {root_hash.hex()}"
        )


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Check a consistency proof (RFC 9162 2.1.4.2); raise :class:`MerkleError` if it fails."""
    _check_proof_hashes(proof)
    if not 0 < old_size <= new_size:
        raise MerkleError(f"tree sizes {old_size} -> {new_size} are not a valid growth")
    if old_size == new_size:
        if proof:
            raise MerkleError("consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise MerkleError("same tree size but different roots: history was rewritten")
        return
    path = list(proof)
    if not path:
        raise MerkleError("empty consistency proof between different sizes")
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fr, sr = _consistency_roots(old_size, new_size, path)
    if fr != old_root:
        raise MerkleError(f"consistency proof does not reproduce the old root {old_root.hex()}")
    if sr != new_root:
        raise MerkleError(f"consistency proof does not reproduce the new root {new_root.hex()}")


def _consistency_roots(old_size: int, new_size: int, path: Sequence[bytes]) -> tuple[bytes, bytes]:
    """The old and the new root a consistency proof gives (RFC 9162 2.1.4.2, steps 3 to 6)."""
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise MerkleError("consistency proof is longer than expected")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise MerkleError("consistency proof is shorter than expected")
    return fr, sr


# -- proof shapes: which subtrees a proof needs, apart from where their hashes come from --


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges ``[lo, hi)`` whose subtree hashes make the audit path of ``index`` (proof order)."""
    if not 0 <= index < size:
        raise MerkleError(f"leaf index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m = 0, size, index
    # Walk down from the root, collecting the sibling subtree at each level;
    # the RFC builds the path bottom-up, so reverse at the end.
    while hi - lo > 1:
        k = split(hi - lo)
        if m < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m = lo + k, m - k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose subtree hashes make the consistency proof from ``old_size`` to ``size``."""
    if not 0 < old_size <= size:
        raise MerkleError(f"old tree size {old_size} is not within 1..{size}")
    if old_size == size:
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, size, old_size, True
    while True:
        n = hi - lo
        if m == n:
            if not complete:
                ranges.append((lo, hi))
            break
        k = split(n)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    ranges.reverse()
    return ranges
