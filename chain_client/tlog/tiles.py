"""Tiles (c2sp.org/tlog-tiles): paths, entry bundles, and proofs computed from a few tile reads.

A tile at level ``L`` holds up to 256 hashes, each the root of a complete
subtree of ``256**L`` leaves; level 0 holds leaf hashes.  Its index ``N`` is
written as 3-digit groups, all but the last prefixed with ``x``
(``1234067`` → ``x001/x234/067``); a partial tile of ``W`` hashes adds
``.p/W``.  Entry bundles (``tile/entries/N``) hold the entries of a level 0
tile, each prefixed by its length as a big-endian uint16.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Sequence

from chain_client.merkle import HASH_SIZE, consistency_ranges, inclusion_ranges, leaf_hash, node_hash
from chain_client.tlog.errors import TileError

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes, 8 KiB for a full tile
MAX_ENTRY = 0xFFFF  # an entry bundle's uint16 length prefix
Fetch = Callable[[str], bytes]  # a tile path ("tile/0/000") to its bytes

_GROUP = re.compile(r"x\d{3}")
_LAST = re.compile(r"\d{3}")


def index_path(index: int) -> str:
    """``N`` as zero-padded 3-digit path elements, all but the last prefixed with ``x``."""
    if index < 0:
        raise TileError(f"tile index {index} is negative")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def _suffix(width: int) -> str:
    if not 1 <= width <= TILE_WIDTH:
        raise TileError(f"tile width {width} is outside 1..{TILE_WIDTH}")
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]``."""
    if not 0 <= level <= 63:
        raise TileError(f"tile level {level} is outside 0..63")
    return f"tile/{level}/{index_path(index)}{_suffix(width)}"


def bundle_path(index: int, width: int = TILE_WIDTH) -> str:
    """``tile/entries/<N>[.p/<W>]``."""
    return f"tile/entries/{index_path(index)}{_suffix(width)}"


def parse_tile_path(path: str) -> tuple[int | None, int, int]:
    """``(level, index, width)`` of a path below ``tile/``; level None for an entry bundle."""
    parts = path.split("/")
    width = TILE_WIDTH
    if len(parts) >= 3 and parts[-2].endswith(".p"):
        text = parts[-1]
        if not text.isdigit() or not text.isascii() or text[0] == "0" or not 1 <= int(text) < TILE_WIDTH:
            raise TileError(f"tile path {path[:80]!r}: partial width {text[:10]!r} is not 1..255")
        width = int(text)
        parts = [*parts[:-2], parts[-2][:-2]]
    if len(parts) < 2:
        raise TileError(f"tile path {path[:80]!r} is not <L>/<N>[.p/<W>] or entries/<N>[.p/<W>]")
    head, groups = parts[0], parts[1:]
    if not (all(_GROUP.fullmatch(g) for g in groups[:-1]) and _LAST.fullmatch(groups[-1])):
        raise TileError(f"tile path {path[:80]!r}: index is not 3-digit groups, x-prefixed but the last")
    index = int("".join(g.lstrip("x") for g in groups))
    if index_path(index) != "/".join(groups):
        raise TileError(f"tile path {path[:80]!r}: index has leading zero groups")
    if head == "entries":
        return None, index, width
    if not head.isdigit() or not head.isascii() or (head != "0" and head[0] == "0") or int(head) > 63:
        raise TileError(f"tile path {path[:80]!r}: level {head[:10]!r} is not 0..63")
    return int(head), index, width


def tile_width(size: int, level: int, index: int) -> int:
    """Width of tile ``index`` at ``level`` in a tree of ``size`` leaves (0: no such tile)."""
    count = size >> (TILE_HEIGHT * level)  # complete subtrees of 256**level leaves
    return max(0, min(TILE_WIDTH, count - index * TILE_WIDTH))


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry after its big-endian uint16 length."""
    out = bytearray()
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY:
            raise TileError(f"entry {i} is {len(entry)} bytes; an entry bundle holds at most {MAX_ENTRY}")
        out += struct.pack(">H", len(entry)) + entry
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    """The entries of an entry bundle."""
    entries: list[bytes] = []
    at = 0
    while at < len(data):
        if at + 2 > len(data):
            raise TileError(f"entry bundle cut inside a length prefix at byte {at}")
        (n,) = struct.unpack(">H", data[at : at + 2])
        if at + 2 + n > len(data):
            raise TileError(f"entry bundle cut inside entry {len(entries)} at byte {at}")
        entries.append(data[at + 2 : at + 2 + n])
        at += 2 + n
    return entries


class TileTree:
    """The hashes of a tree of ``size`` leaves, read from its tiles; each tile is fetched once.

    ``fetch`` gets a path such as ``tile/0/x001/234.p/7`` and returns its
    bytes.  Proofs come out in RFC 9162 form: check them against a verified
    checkpoint with :func:`chain_client.merkle.verify_inclusion`.
    """

    def __init__(self, fetch: Fetch, size: int) -> None:
        self.fetch = fetch
        self.size = size
        self.reads: list[str] = []
        self._tiles: dict[tuple[int, int], list[bytes]] = {}

    def tile(self, level: int, index: int) -> list[bytes]:
        """The hashes of tile ``index`` at ``level``, as wide as the tree makes it."""
        key = (level, index)
        if key not in self._tiles:
            width = tile_width(self.size, level, index)
            if not width:
                raise TileError(f"tile {level}/{index} is not part of a tree of size {self.size}")
            path = tile_path(level, index, width)
            data = self.fetch(path)
            self.reads.append(path)
            if len(data) != width * HASH_SIZE:
                raise TileError(f"{path} is {len(data)} bytes, expected {width * HASH_SIZE}")
            self._tiles[key] = [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
        return self._tiles[key]

    def complete(self, height: int, index: int) -> bytes:
        """Root of the complete subtree of ``2**height`` leaves starting at leaf ``index << height``."""
        level, rest = divmod(height, TILE_HEIGHT)
        first = index << rest
        hashes = self.tile(level, first // TILE_WIDTH)[first % TILE_WIDTH :][: 1 << rest]
        if len(hashes) != 1 << rest:
            raise TileError(f"subtree {height}/{index} is not complete in a tree of size {self.size}")
        while len(hashes) > 1:
            hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def subtree(self, lo: int, hi: int) -> bytes:
        """Merkle tree hash of leaves ``[lo, hi)`` (RFC 9162 MTH)."""
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            height = n.bit_length() - 1
            return self.complete(height, lo >> height)
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(self.subtree(lo, lo + k), self.subtree(lo + k, hi))

    def root(self) -> bytes:
        """The root hash of the whole tree."""
        if self.size == 0:
            raise TileError("an empty tree has no tiles")
        return self.subtree(0, self.size)

    def inclusion_proof(self, index: int) -> list[bytes]:
        """Audit path of leaf ``index``."""
        return [self.subtree(lo, hi) for lo, hi in inclusion_ranges(index, self.size)]

    def consistency_proof(self, old_size: int) -> list[bytes]:
        """Consistency proof from the tree of ``old_size`` leaves to this one."""
        return [self.subtree(lo, hi) for lo, hi in consistency_ranges(old_size, self.size)]

    def entry(self, index: int) -> bytes:
        """Entry ``index`` from its entry bundle, checked against its leaf hash in the level 0 tile."""
        if not 0 <= index < self.size:
            raise TileError(f"entry {index} is outside a tree of size {self.size}")
        bundle, position = divmod(index, TILE_WIDTH)
        path = bundle_path(bundle, tile_width(self.size, 0, bundle))
        entries = decode_bundle(self.fetch(path))
        self.reads.append(path)
        if position >= len(entries):
            raise TileError(f"{path} holds {len(entries)} entries, not entry {index}")
        entry = entries[position]
        if leaf_hash(entry) != self.complete(0, index):
            raise TileError(f"entry {index} in {path} does not hash to its leaf in the level 0 tile")
        return entry
