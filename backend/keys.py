"""The operator's Ed25519 key: it signs the genesis and every tree head.

The key file is only ever written for a new log, right before its genesis is
appended (see :func:`backend.cli.serve`): a start that is refused must not
leave a key behind that an operator could later mistake for the log's.
"""

from __future__ import annotations

import os
from pathlib import Path

from nacl.signing import SigningKey

from backend.errors import BackendError

SEED_SIZE = 32


def load(path: Path) -> SigningKey | None:
    """The key whose 32-byte seed (hex) is stored at ``path``, or None when there is no such file."""
    if not path.exists():
        return None
    text = path.read_text().strip()
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        raise BackendError(f"operator key {path} is not hex") from None
    if len(seed) != SEED_SIZE:
        raise BackendError(f"operator key {path} holds {len(seed)} bytes, expected {SEED_SIZE}")
    return SigningKey(seed)


def save(path: Path, key: SigningKey) -> None:
    """Write ``key``'s seed to ``path`` with mode 0600; refuse to overwrite an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackendError(f"operator key {path} appeared while starting; not overwriting it") from None
    with os.fdopen(fd, "w") as handle:
        handle.write(bytes(key).hex() + "\n")
        handle.flush()
        # The key is what makes the log verifiable: it must be on disk before the genesis is.
        os.fsync(handle.fileno())
