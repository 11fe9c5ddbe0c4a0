"""The committed ABI and bytecode are what the pinned compiler makes of the committed sources."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from chain_client.evm.artifacts import DIR, NAMES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_recompiling_the_contracts_gives_the_committed_artifacts(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed to run solc-js"
    subprocess.run([node, str(ROOT / "contracts" / "build.mjs"), str(tmp_path)], check=True, timeout=240)
    for name in NAMES:
        assert (tmp_path / f"{name}.json").read_bytes() == (DIR / f"{name}.json").read_bytes(), name


def test_the_artifacts_name_the_pinned_compiler_and_openzeppelin() -> None:
    import json

    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    solc = lock["node_modules/solc"]["version"]
    for name in NAMES:
        built = json.loads((DIR / f"{name}.json").read_text())
        assert built["compiler"].startswith(f"solc-js {solc}+")
    assert lock["node_modules/@openzeppelin/contracts"]["version"].startswith("5.")
    assert "node_modules/@foundry-rs/anvil-linux-amd64" in lock
