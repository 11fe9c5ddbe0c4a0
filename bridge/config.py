"""The bridge's settings and keys (docs/chain.md, 'Configuration')."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nacl.signing import SigningKey

from bridge.errors import BridgeError
from chain_client.tlog import VerifierKey, parse_vkey
from chain_client.tlog.errors import NoteError
from chain_client.tlog.note import COSIGNATURE_V1, ED25519

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
    log_vkey: VerifierKey | None = None  # pinned: None trusts the vkey the ledger's /v1/info names

    def __post_init__(self) -> None:
        if not 0 <= self.min_cosignatures <= len(self.witnesses):
            raise BridgeError(
                f"min cosignatures is {self.min_cosignatures}, expected 0 to the {len(self.witnesses)} "
                "witness key(s) given: only cosignatures of a given witness key count"
            )
        if self.confirmations < 1:
            raise BridgeError(f"confirmations is {self.confirmations}, expected at least 1")
        if self.chain_id < 1:
            raise BridgeError(f"chain id is {self.chain_id}, expected a positive EIP-155 chain id")


def witness_keys(vkeys: list[str]) -> tuple[VerifierKey, ...]:
    """Witness verifier keys (c2sp.org/signed-note vkeys of type 0x04)."""
    try:
        keys = tuple(parse_vkey(v) for v in vkeys)
    except NoteError as exc:
        raise BridgeError(f"a witness key is not a verifier key: {exc}") from None
    for key in keys:
        if key.kind != COSIGNATURE_V1:
            raise BridgeError(f"witness key {key.vkey()[:80]!r} is of type {key.kind:#04x}, expected 0x04")
    if len({key.vkey() for key in keys}) != len(keys):
        raise BridgeError("a witness key is given twice: each witness counts once")
    return keys


def log_key(vkey: str | None) -> VerifierKey | None:
    """The pinned log verifier key (type 0x01, named after the checkpoint origin), if one is given."""
    if not vkey:
        return None
    try:
        key = parse_vkey(vkey)
    except NoteError as exc:
        raise BridgeError(f"the log key is not a verifier key: {exc}") from None
    if key.kind != ED25519:
        raise BridgeError(f"log key {vkey[:80]!r} is of type {key.kind:#04x}, expected 0x01 (Ed25519)")
    return key


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
