"""Audit paths of many leaves of one RFC 9162 tree at once, in O(n log n) instead of O(n) per leaf.

The exporter proves every message of a device in a batch of up to 20,000;
one walk of the tree yields all their paths.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Sequence

from chain_client.merkle import node_hash, split


def audit_paths(hashes: Sequence[bytes], wanted: Collection[int]) -> dict[int, list[bytes]]:
    """RFC 9162 audit path of each leaf index in ``wanted``, over the tree of leaf ``hashes``."""
    targets = sorted(set(wanted))
    paths: dict[int, list[bytes]] = {i: [] for i in targets}

    def among(lo: int, hi: int) -> list[int]:
        return targets[bisect.bisect_left(targets, lo) : bisect.bisect_left(targets, hi)]

    def walk(lo: int, hi: int) -> bytes:
        # Returns the subtree's root.  On the way back up each side's root joins
        # the paths of the other side's wanted leaves, so deeper siblings come first.
        if hi - lo == 1:
            return hashes[lo]
        k = lo + split(hi - lo)
        left, right = walk(lo, k), walk(k, hi)
        for i in among(lo, k):
            paths[i].append(right)
        for i in among(k, hi):
            paths[i].append(left)
        return node_hash(left, right)

    if hashes:
        walk(0, len(hashes))
    return paths
