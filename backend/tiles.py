"""The log as C2SP tiles: tiles and entry bundles from the Merkle tree and the stored entries.

Served by the API (``/tile/...``) and written to a directory by
``leasechain-backend tiles --out DIR`` for any static web server.  Every tile,
partial ones included, has content that never changes once the tree covers
it, so a tile is served with long-lived caching; only the checkpoint changes.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from backend.errors import NotFoundError
from backend.storage import Storage
from backend.tree import MerkleTree
from chain_client.tlog.errors import TileError
from chain_client.tlog.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    bundle_path,
    encode_bundle,
    parse_tile_path,
    tile_path,
    tile_width,
)

IMMUTABLE = "public, max-age=31536000, immutable"


def _covered(tree: MerkleTree, level: int, index: int, width: int) -> bool:
    return 0 < width <= tile_width(tree.size, level, index)


def tile(tree: MerkleTree, level: int, index: int, width: int = TILE_WIDTH) -> bytes:
    """The hashes of tile ``level/index`` of ``width`` hashes; NotFoundError past the tree."""
    if not _covered(tree, level, index, width):
        raise NotFoundError("tile", tile_path(level, index, width))
    start = index * TILE_WIDTH
    return b"".join(tree.complete(TILE_HEIGHT * level, start, start + width))


def bundle(storage: Storage, tree: MerkleTree, index: int, width: int = TILE_WIDTH) -> bytes:
    """The entry bundle ``index`` of ``width`` entries; NotFoundError past the tree."""
    if not _covered(tree, 0, index, width):
        raise NotFoundError("entry bundle", bundle_path(index, width))
    start = index * TILE_WIDTH
    return encode_bundle([row.entry for row in storage.log_rows(start, start + width)])


def resource(storage: Storage, tree: MerkleTree, path: str) -> bytes:
    """The bytes at ``path`` (below ``tile/``); TileError for a malformed path."""
    level, index, width = parse_tile_path(path)
    if level is None:
        return bundle(storage, tree, index, width)
    return tile(tree, level, index, width)


def tile_set(size: int) -> list[tuple[int | None, int, int]]:
    """Every tile (level, index, width) of a tree of ``size``: level None for entry bundles."""
    out: list[tuple[int | None, int, int]] = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        for index in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            width = tile_width(size, level, index)
            out.append((level, index, width))
            if level == 0:
                out.append((None, index, width))
        level += 1
    return out


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` through a temporary file and a rename, so no reader sees half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_directory(out: Path, storage: Storage, tree: MerkleTree, checkpoint: bytes | None) -> int:
    """Write the tiles and bundles of ``tree`` that ``out`` lacks, then the checkpoint; files written.

    The checkpoint goes last, so a reader never sees a checkpoint whose tiles
    are not there yet; None (witnesses have not co-signed it yet) leaves the old one.
    """
    written = 0
    for level, index, width in tile_set(tree.size):
        path = out / (bundle_path(index, width) if level is None else tile_path(level, index, width))
        if path.exists():
            continue  # a tile never changes once written
        data = bundle(storage, tree, index, width) if level is None else tile(tree, level, index, width)
        write_atomic(path, data)
        written += 1
    if checkpoint is None:
        return written
    write_atomic(out / "checkpoint", checkpoint)
    return written + 1


__all__ = ["IMMUTABLE", "TileError", "bundle", "resource", "tile", "tile_set", "write_directory"]
