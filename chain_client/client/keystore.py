"""Signing keys in a file encrypted with a passphrase (Argon2id + XSalsa20-Poly1305, from libsodium).

The keystore is one JSON file (mode 0600) of named keys.  Each entry keeps the
public key in clear, so keys can be listed without the passphrase, and the
32-byte Ed25519 seed sealed in a :class:`nacl.secret.SecretBox` whose key is
derived from the passphrase by Argon2id with the entry's own salt and cost
parameters.  Unlocking checks that the decrypted seed gives the stored public
key, so an entry cannot be swapped under another name unnoticed.

The passphrase comes from ``LEASECHAIN_PASSPHRASE`` or, on a terminal, a prompt.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from nacl.signing import SigningKey

from chain_client.client.errors import KeystoreError

KEYSTORE_ENV = "LEASECHAIN_KEYSTORE"
PASSPHRASE_ENV = "LEASECHAIN_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret
FORMAT = "leasechain-keystore/1"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE


def default_path() -> Path:
    """``$LEASECHAIN_KEYSTORE``, else ``$XDG_CONFIG_HOME/leasechain/keystore.json`` (``~/.config``)."""
    explicit = os.environ.get(KEYSTORE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "leasechain" / "keystore.json"


def passphrase(*, confirm: bool = False, prompt: str = "Keystore passphrase: ") -> str:
    """The passphrase from ``LEASECHAIN_PASSPHRASE``, else asked on the terminal (twice if ``confirm``)."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given is not None:
        if not given:
            raise KeystoreError(f"{PASSPHRASE_ENV} is set but empty")
        return given
    if not sys.stdin.isatty():
        raise KeystoreError(f"no passphrase: set {PASSPHRASE_ENV} or run on a terminal to be asked")
    first = getpass.getpass(prompt)
    if not first:
        raise KeystoreError("the passphrase is empty")
    if confirm and getpass.getpass("Repeat the passphrase: ") != first:
        raise KeystoreError("the two passphrases differ")
    return first


@dataclass(frozen=True)
class KeyInfo:
    """What the keystore tells about a key without the passphrase."""

    name: str
    public_key: bytes
    created: int

    @property
    def account(self) -> str:
        """The ledger account id of the key."""
        return self.public_key.hex()


def _hex(entry: Mapping[str, Any], field: str, name: str, path: Path) -> bytes:
    value = entry.get(field)
    try:
        return bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raise KeystoreError(f"{path}: key {name!r} has a bad {field!r} ({value!r})") from None


class Keystore:
    """A keystore file of named, passphrase-encrypted Ed25519 keys."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    def _load(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KeystoreError(f"{self.path} is not a readable keystore: {exc}") from None
        valid = isinstance(data, dict) and data.get("format") == FORMAT
        if not valid or not isinstance(data.get("keys"), dict):
            raise KeystoreError(f"{self.path} is not a keystore (expected format {FORMAT!r})")
        return data["keys"]  # type: ignore[no-any-return]

    def _save(self, keys: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"format": FORMAT, "keys": dict(keys)}, indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keystore-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(text + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _entry(self, name: str) -> dict[str, Any]:
        keys = self._load()
        if name not in keys:
            known = ", ".join(sorted(keys)) or "none"
            raise KeystoreError(f"no key named {name!r} in {self.path} (keys: {known})")
        entry = keys[name]
        if not isinstance(entry, dict):
            raise KeystoreError(f"{self.path}: key {name!r} is malformed")
        return entry

    def names(self) -> list[str]:
        """Names of the stored keys, sorted."""
        return sorted(self._load())

    def info(self, name: str) -> KeyInfo:
        """Public information of one key."""
        entry = self._entry(name)
        public = _hex(entry, "public_key", name, self.path)
        if len(public) != 32:
            raise KeystoreError(f"{self.path}: key {name!r} has no 32-byte public key")
        created = entry.get("created", 0)
        return KeyInfo(name, public, created if isinstance(created, int) else 0)

    def list(self) -> list[KeyInfo]:
        """Public information of every key, by name."""
        return [self.info(n) for n in self.names()]

    def add(
        self,
        name: str,
        key: SigningKey,
        secret: str,
        *,
        opslimit: int = OPSLIMIT,
        memlimit: int = MEMLIMIT,
    ) -> KeyInfo:
        """Store ``key`` under ``name``, encrypted with the passphrase ``secret``."""
        if not NAME_RE.fullmatch(name):
            raise KeystoreError(f"key name {name!r} must match {NAME_RE.pattern}")
        if not secret:
            raise KeystoreError("the passphrase is empty")
        keys = self._load()
        if name in keys:
            raise KeystoreError(f"a key named {name!r} already exists in {self.path}")
        salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
        box_key = nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE, secret.encode(), salt, opslimit=opslimit, memlimit=memlimit
        )
        sealed = nacl.secret.SecretBox(box_key).encrypt(bytes(key))
        created = int(time.time())
        keys[name] = {
            "public_key": bytes(key.verify_key).hex(),
            "kdf": "argon2id",
            "opslimit": opslimit,
            "memlimit": memlimit,
            "salt": salt.hex(),
            "sealed_seed": bytes(sealed).hex(),
            "created": created,
        }
        self._save(keys)
        return KeyInfo(name, bytes(key.verify_key), created)

    def create(self, name: str, secret: str, **limits: int) -> KeyInfo:
        """Generate a new key from the system's CSPRNG and store it under ``name``."""
        return self.add(name, SigningKey.generate(), secret, **limits)

    def unlock(self, name: str, secret: str) -> SigningKey:
        """Decrypt the key ``name`` with the passphrase ``secret``."""
        entry = self._entry(name)
        info = self.info(name)
        if entry.get("kdf") != "argon2id":
            raise KeystoreError(f"{self.path}: key {name!r} uses unknown kdf {entry.get('kdf')!r}")
        opslimit, memlimit = entry.get("opslimit"), entry.get("memlimit")
        if not isinstance(opslimit, int) or not isinstance(memlimit, int):
            raise KeystoreError(f"{self.path}: key {name!r} has bad Argon2id limits")
        salt = _hex(entry, "salt", name, self.path)
        sealed = _hex(entry, "sealed_seed", name, self.path)
        try:
            box_key = nacl.pwhash.argon2id.kdf(
                nacl.secret.SecretBox.KEY_SIZE, secret.encode(), salt, opslimit=opslimit, memlimit=memlimit
            )
            seed = nacl.secret.SecretBox(box_key).decrypt(sealed)
        except nacl.exceptions.CryptoError:
            raise KeystoreError(f"wrong passphrase for key {name!r} (or its entry is damaged)") from None
        except (ValueError, TypeError) as exc:
            raise KeystoreError(f"{self.path}: key {name!r} cannot be decrypted: {exc}") from None
        key = SigningKey(seed)
        if bytes(key.verify_key) != info.public_key:
            raise KeystoreError(f"{self.path}: key {name!r} does not match its stored public key")
        return key
