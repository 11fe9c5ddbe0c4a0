"""The operator key file: read when present, written only on request, never overwritten."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from backend import keys
from backend.errors import BackendError


def test_a_missing_key_is_none_and_nothing_is_written(tmp_path: Path) -> None:
    path = tmp_path / "operator.key"
    assert keys.load(path) is None
    assert not path.exists()


def test_a_saved_key_reads_back_private_and_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "operator.key"
    key = SigningKey.generate()
    keys.save(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = keys.load(path)
    assert loaded is not None
    assert bytes(loaded) == bytes(key)
    with pytest.raises(BackendError, match=r"operator\.key appeared"):
        keys.save(path, SigningKey.generate())
    assert keys.load(path) == loaded


@pytest.mark.parametrize(("text", "why"), [("zz", "is not hex"), ("00" * 31, "holds 31 bytes, expected 32")])
def test_a_bad_key_file_is_named(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "operator.key"
    path.write_text(text)
    with pytest.raises(BackendError, match=why):
        keys.load(path)
