"""The built distribution carries everything its commands need, not only Python modules."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_holds_the_deployable_firmware(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    manifest = json.loads((REPO / "firmware" / "package.json").read_text())
    wanted = {"firmware/package.json", "firmware/boot.py", "firmware/main.py"}
    wanted |= {f"firmware/{source}" for _dest, source in manifest["urls"]}
    assert wanted - names == set()
    assert "firmware/leasechain/ed25519_table.bin" in names
    scripts = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith(".dist-info/entry_points.txt")))
        .decode()
    )
    assert "explorer/templates/entry.html" in names
    assert "explorer/static/verify.js" in names
    # The chain bridge deploys, and the auditor reads, the committed contract artifacts.
    assert {
        "chain_client/evm/artifacts/CheckpointAnchor.json",
        "chain_client/evm/artifacts/MachineToken.json",
    } <= names
    assert "bridge/cli.py" in names
    for command in ("backend", "gateway", "sim", "device", "explorer", "bridge", "witness"):
        assert f"leasechain-{command} =" in scripts
    assert "leasechain =" in scripts
