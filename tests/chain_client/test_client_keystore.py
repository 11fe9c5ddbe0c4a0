"""The encrypted keystore: Argon2id + SecretBox, passphrase from the environment."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import nacl.pwhash
import pytest
from nacl.signing import SigningKey

from chain_client.client import Keystore, KeystoreError, passphrase

FAST = {
    "opslimit": nacl.pwhash.argon2id.OPSLIMIT_MIN,
    "memlimit": nacl.pwhash.argon2id.MEMLIMIT_MIN,
}


def test_a_stored_key_unlocks_with_its_passphrase_only(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "ks.json")
    key = SigningKey.generate()
    info = store.add("maker", key, "correct horse", **FAST)
    assert info.account == bytes(key.verify_key).hex()
    assert bytes(store.unlock("maker", "correct horse")) == bytes(key)
    with pytest.raises(KeystoreError, match="wrong passphrase for key 'maker'"):
        store.unlock("maker", "battery staple")
    # the file never holds the seed in clear and is private to its owner
    text = (tmp_path / "ks.json").read_text()
    assert bytes(key).hex() not in text
    assert stat.S_IMODE((tmp_path / "ks.json").stat().st_mode) == 0o600


def test_keys_are_listed_without_the_passphrase(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "ks.json")
    a = store.create("b-key", "pw", **FAST)
    b = store.create("a-key", "pw", **FAST)
    assert store.names() == ["a-key", "b-key"]
    assert [i.public_key for i in store.list()] == [b.public_key, a.public_key]


def test_default_cost_is_argon2id_interactive(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "ks.json")
    store.create("k", "pw")
    entry = json.loads((tmp_path / "ks.json").read_text())["keys"]["k"]
    assert entry["kdf"] == "argon2id"
    assert entry["opslimit"] == nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
    assert entry["memlimit"] == nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE


def test_bad_names_duplicates_and_unknown_keys_are_named(tmp_path: Path) -> None:
    store = Keystore(tmp_path / "ks.json")
    with pytest.raises(KeystoreError, match=r"key name '\.\./x' must match"):
        store.create("../x", "pw", **FAST)
    store.create("k", "pw", **FAST)
    with pytest.raises(KeystoreError, match="a key named 'k' already exists"):
        store.create("k", "pw", **FAST)
    with pytest.raises(KeystoreError, match=r"no key named 'nope' .*\(keys: k\)"):
        store.unlock("nope", "pw")


def test_a_swapped_entry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ks.json"
    store = Keystore(path)
    store.create("a", "pw", **FAST)
    store.create("b", "pw", **FAST)
    data = json.loads(path.read_text())
    data["keys"]["a"]["sealed_seed"] = data["keys"]["b"]["sealed_seed"]
    data["keys"]["a"]["salt"] = data["keys"]["b"]["salt"]
    path.write_text(json.dumps(data))
    with pytest.raises(KeystoreError, match="does not match its stored public key"):
        store.unlock("a", "pw")


def test_a_corrupt_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ks.json"
    path.write_text("{not json")
    with pytest.raises(KeystoreError, match="is not a readable keystore"):
        Keystore(path).names()
    path.write_text(json.dumps({"format": "other", "keys": {}}))
    with pytest.raises(KeystoreError, match="is not a keystore"):
        Keystore(path).names()


def test_passphrase_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEASECHAIN_PASSPHRASE", "from-env")
    assert passphrase() == "from-env"
    monkeypatch.setenv("LEASECHAIN_PASSPHRASE", "")
    with pytest.raises(KeystoreError, match="set but empty"):
        passphrase()


def test_no_passphrase_and_no_terminal_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEASECHAIN_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(KeystoreError, match="set LEASECHAIN_PASSPHRASE"):
        passphrase()
