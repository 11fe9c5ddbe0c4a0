"""leasechain-device release: the manifest, its signature and the content-addressed files."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from nacl.signing import SigningKey, VerifyKey

from firmware import leasechain
from firmware.tools.device import release
from firmware.tools.device.cli import main
from firmware.tools.device.errors import FirmwareError
from harness.unixport import FIRMWARE

KEY = SigningKey(b"\x05" * 32)


def test_the_release_is_every_package_file_signed_and_named_by_hash(tmp_path: Path) -> None:
    built = release.build(FIRMWARE, tmp_path, KEY, arch=None)
    manifest = (tmp_path / "manifest.json").read_bytes()
    VerifyKey(bytes(KEY.verify_key)).verify(manifest, (tmp_path / "manifest.sig").read_bytes())
    body = json.loads(manifest)
    assert body["format"] == "leasechain-release/1"
    assert body["version"] == leasechain.VERSION == built.version
    listed = json.loads((FIRMWARE / "package.json").read_text())["urls"]
    assert [f["path"] for f in body["files"]] == [d for d, _ in listed if d.startswith("leasechain/")]
    for f in body["files"]:
        data = (tmp_path / "files" / f["sha256"]).read_bytes()
        assert data == (FIRMWARE / f["path"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (f["size"], f["sha256"])


def test_compiled_for_a_board_the_modules_are_mpy(tmp_path: Path) -> None:
    built = release.build(FIRMWARE, tmp_path, KEY, arch="xtensawin")
    paths = [f.path for f in built.files]
    assert "leasechain/app.mpy" in paths
    assert "leasechain/ed25519_table.bin" in paths
    assert not [p for p in paths if p.endswith(".py")]
    app = next(f for f in built.files if f.path == "leasechain/app.mpy")
    assert (tmp_path / "files" / app.sha256).read_bytes()[:1] == b"M"  # the .mpy header


def test_a_source_without_a_version_or_with_a_missing_file_is_refused(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(FIRMWARE, src, ignore=shutil.ignore_patterns("__pycache__", "tools", "unix"))
    (src / "leasechain" / "cose.py").unlink()
    with pytest.raises(FirmwareError, match=r"cose\.py is listed in package\.json but missing"):
        release.build(src, tmp_path / "out", KEY, arch=None)
    (src / "leasechain" / "__init__.py").write_text("VERSION = 'one'\n")
    with pytest.raises(FirmwareError, match="has no line VERSION"):
        release.build(src, tmp_path / "out", KEY, arch=None)
    with pytest.raises(FirmwareError, match="unknown mpy architecture 'z80'"):
        release.build(FIRMWARE, tmp_path / "out", KEY, arch="z80")


def test_the_cli_names_the_missing_release_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEASECHAIN_KEY", raising=False)
    assert main(["release", "--out", str(tmp_path)]) != 0
    assert "a release is signed with the fleet's release key: give --key NAME" in capsys.readouterr().err
