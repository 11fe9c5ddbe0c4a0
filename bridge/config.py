"""The bridge's settings and keys (docs/chain.md, 'Configuration')."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nacl.signing import SigningKey

from bridge.errors import BridgeError
from chain_client.tlog import VerifierKey, parse_vkey
from chain_client.tlog.errors import NoteError

ETH_KEY = "eth-key"  # the chain account's secp256k1 key, 64 hex digits
LEDGER_KEY = "ledger-key"  # the bridge's ledger account (a certified service), Ed25519 seed in hex


@dataclass(frozen=True)
class BridgeConfig:
    """Where the ledger and the chain are, which contracts, and how careful to be."""

    ledger_url: str
    rpc_url: str
    chain_id: int
    anchor_contract: str
    token_contract: str = ""  # empty: tokens are not mirrored
    confirmations: int = 3
    interval: float = 60.0  # the least time between two anchors
    poll: float = 2.0
    min_cosignatures: int = 0
    witnesses: tuple[VerifierKey, ...] = field(default_factory=tuple)
    start_block: int = 0  # the anchor contract's deployment block: where its events begin

    def __post_init__(self) -> None:
        if self.confirmations < 1:
            raise BridgeError(f"confirmations is {self.confirmations}, expected at least 1")
        if self.chain_id < 1:
            raise BridgeError(f"chain id is {self.chain_id}, expected a positive EIP-155 chain id")


def witness_keys(vkeys: list[str]) -> tuple[VerifierKey, ...]:
    """Witness verifier keys (c2sp.org/signed-note vkeys of type 0x04)."""
    try:
        return tuple(parse_vkey(v) for v in vkeys)
    except NoteError as exc:
        raise BridgeError(f"a witness key is not a verifier key: {exc}") from None


def secret_file(name: str, given: str | None) -> Path:
    """The file holding secret ``name``: ``given``, else ``$CREDENTIALS_DIRECTORY/name`` (systemd)."""
    if given:
        return Path(given)
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if not creds:
        raise BridgeError(
            f"no {name}: pass its file, or run under systemd with LoadCredential={name}:/path/to/file"
        )
    return Path(creds) / name


def read_hex_key(path: Path, what: str) -> bytes:
    """A 32-byte key kept as hex (optionally 0x-prefixed) in ``path``."""
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise BridgeError(f"cannot read the {what} from {path}: {exc.strerror}") from None
    text = text.removeprefix("0x")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise BridgeError(f"the {what} in {path} is not hex") from None
    if len(raw) != 32:
        raise BridgeError(f"the {what} in {path} is {len(raw)} bytes, expected 32")
    return raw


def ledger_key(path: Path) -> SigningKey:
    """The bridge's Ed25519 ledger key."""
    return SigningKey(read_hex_key(path, "ledger key"))
