"""The bridge's unit passes systemd-analyze verify and hands it its keys as credentials."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bridge.config import ETH_KEY, LEDGER_KEY, secret_file
from harness.systemd import analyze_verify

UNIT = Path(__file__).resolve().parents[2] / "configs" / "leasechain-bridge.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    result = analyze_verify(UNIT, "/opt/leasechain/venv/bin/leasechain-bridge", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_the_keys_come_from_the_credentials_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = UNIT.read_text()
    for name in (ETH_KEY, LEDGER_KEY):
        assert f"LoadCredential={name}:" in text
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert secret_file(ETH_KEY, None) == tmp_path / ETH_KEY
    assert secret_file(ETH_KEY, "/elsewhere/key") == Path("/elsewhere/key")
