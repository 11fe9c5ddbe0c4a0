"""The operator's Ed25519 key: it signs the genesis and every tree head."""

from __future__ import annotations

import os
from pathlib import Path

from nacl.signing import SigningKey

from backend.errors import BackendError

SEED_SIZE = 32


def load_or_create(path: Path) -> SigningKey:
    """Read the 32-byte seed at ``path`` (hex), creating it with mode 0600 when missing."""
    if path.exists():
        text = path.read_text().strip()
        try:
            seed = bytes.fromhex(text)
        except ValueError:
            raise BackendError(f"operator key {path} is not hex") from None
        if len(seed) != SEED_SIZE:
            raise BackendError(f"operator key {path} holds {len(seed)} bytes, expected {SEED_SIZE}")
        return SigningKey(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(bytes(key).hex() + "\n")
    return key
