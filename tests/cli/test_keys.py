"""``leasechain key``: new, import, list, show, and the keystore's errors (no backend needed)."""

from __future__ import annotations

import stat
from pathlib import Path

from nacl.signing import SigningKey

from tests.cli.runner import Cli

NOWHERE = "http://127.0.0.1:9"


def test_keys_are_created_listed_and_shown(tmp_path: Path) -> None:
    cli = Cli(NOWHERE, tmp_path / "ks.json")
    made = cli.ok("key", "new", "alice")
    seed = SigningKey.generate()
    (tmp_path / "seed").write_text(bytes(seed).hex() + "\n")
    imported = cli.ok("key", "import", "bob", "--seed-file", str(tmp_path / "seed"))
    assert imported["account"] == bytes(seed.verify_key).hex()
    assert [k["name"] for k in cli.ok("key", "list")] == ["alice", "bob"]
    assert cli.ok("key", "show", "alice")["account"] == made["account"]
    assert stat.S_IMODE((tmp_path / "ks.json").stat().st_mode) == 0o600
    table = cli.run("key", "list").out.splitlines()
    assert table[0].split() == ["NAME", "ACCOUNT", "CREATED"]


def test_keystore_errors_are_exit_3(tmp_path: Path) -> None:
    cli = Cli(NOWHERE, tmp_path / "ks.json")
    cli.ok("key", "new", "alice")
    twice = cli.run("key", "new", "alice")
    assert twice.code == 3
    assert "already exists" in twice.err
    assert cli.run("key", "show", "carol").code == 3
    (tmp_path / "broken.json").write_text("[]")
    broken = Cli(NOWHERE, tmp_path / "broken.json").run("key", "list")
    assert broken.code == 3
    assert "is not a keystore" in broken.err


def test_a_bad_seed_file_is_named(tmp_path: Path) -> None:
    cli = Cli(NOWHERE, tmp_path / "ks.json")
    (tmp_path / "short").write_text("abcd")
    short = cli.run("key", "import", "x", "--seed-file", str(tmp_path / "short"))
    assert short.code == 2
    assert "holds 2 bytes, expected a 32-byte seed" in short.err
    missing = cli.run("key", "import", "x", "--seed-file", str(tmp_path / "nope"))
    assert missing.code == 2
    assert "cannot read a hex seed" in missing.err
