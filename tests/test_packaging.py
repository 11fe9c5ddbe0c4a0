"""The built distribution carries everything its commands need, not only Python modules."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_holds_the_deployable_firmware(tmp_path: Path) -> None:
    # Built from a copy of the tracked files: an in-tree build/ left by an earlier
    # build would otherwise hide a file the package list forgets.
    source = tmp_path / "src"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    for name in tracked.decode().split("\0"):
        if name and (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("leasechain-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    manifest = json.loads((REPO / "firmware" / "package.json").read_text())
    wanted = {"firmware/package.json", "firmware/boot.py", "firmware/main.py"}
    wanted |= {f"firmware/{source}" for _dest, source in manifest["urls"]}
    assert wanted - names == set()
    assert "firmware/leasechain/ed25519_table.bin" in names
    scripts = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    ).decode()
    assert "explorer/templates/entry.html" in names
    assert "explorer/static/verify.js" in names
    for command in ("backend", "gateway", "sim", "device", "explorer", "witness"):
        assert f"leasechain-{command} =" in scripts
    assert "leasechain =" in scripts
