"""``leasechain-sim demo --chain``: the story anchored on anvil, its report and bundles citing the anchors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chain_client.audit import load, verify_bundle
from chain_client.audit.anchors import verify_on_chain
from chain_client.evm import ChainError, Rpc

pytestmark = [pytest.mark.mosquitto, pytest.mark.anvil, pytest.mark.slow]


def test_the_demo_anchors_on_anvil_and_its_bundles_cite_the_anchor(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    args = [sys.executable, "-m", "simulator", "demo", "--chain", "--json", "--output", str(out)]
    done = subprocess.run(
        [*args, "--devices", "6", "--seconds", "8"], capture_output=True, text=True, timeout=400
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout)
    chain = summary["chain"]
    assert chain["tokens_mirrored"] == chain["tokens"] == 6
    assert chain["anchors_recorded"] >= 1
    assert chain["anchored_size"] >= 1
    report = (out / "report.html").read_text()
    assert f"CheckpointAnchor {chain['anchor_contract']}" in report
    assert "every entry of the bundle lies in the tree of size" in report
    bundles = sorted((out / "audit").glob("*.json"))
    assert len(bundles) == summary["audit_bundles"] == summary["audit_verified"]
    bundle = load(bundles[0])
    assert verify_bundle(bundle).ok
    (cited,) = bundle.anchors
    entry = next(e for e in bundle.entries if e.index == cited.index)
    assert entry.index >= chain["anchored_size"]
    # anvil is gone with the demo: the on-chain check now fails, by name, instead of passing.
    with pytest.raises(ChainError), Rpc(chain["rpc"], timeout=2) as rpc:
        verify_on_chain(bundle, rpc)
