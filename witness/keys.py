"""The witness's identity: its cosigner name and Ed25519 key, kept in its data directory."""

from __future__ import annotations

import os
from pathlib import Path

from nacl.signing import SigningKey

from chain_client.errors import LeaseChainError
from chain_client.tlog import cosigner
from chain_client.tlog.note import VerifierKey
from witness.errors import WitnessError

KEY_FILE = "witness.key"
NAME_FILE = "witness.name"


def create(data_dir: Path, name: str) -> VerifierKey:
    """Create the key (mode 0600) and name files in ``data_dir``; refuse to replace an identity."""
    try:
        cosigner(name, bytes(32))
    except LeaseChainError as exc:
        raise WitnessError(f"witness name: {exc}") from None
    data_dir.mkdir(parents=True, exist_ok=True)
    if (data_dir / KEY_FILE).exists() or (data_dir / NAME_FILE).exists():
        raise WitnessError(f"{data_dir} already holds a witness identity; a new name needs a new directory")
    key = SigningKey.generate()
    fd = os.open(data_dir / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(bytes(key).hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    (data_dir / NAME_FILE).write_text(name + "\n")
    return cosigner(name, bytes(key.verify_key))


def load(data_dir: Path) -> tuple[str, SigningKey]:
    """The witness's name and key from ``data_dir``."""
    try:
        name = (data_dir / NAME_FILE).read_text().strip()
        seed = bytes.fromhex((data_dir / KEY_FILE).read_text().strip())
    except FileNotFoundError as exc:
        raise WitnessError(f"{exc.filename} is missing: run 'leasechain-witness init' first") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise WitnessError(f"witness key in {data_dir} is unreadable: {exc}") from None
    if len(seed) != 32:
        raise WitnessError(f"witness key in {data_dir} holds {len(seed)} bytes, not a 32-byte seed")
    try:
        cosigner(name, bytes(32))
    except LeaseChainError as exc:
        raise WitnessError(f"witness name in {data_dir}: {exc}") from None
    return name, SigningKey(seed)
