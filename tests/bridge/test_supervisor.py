"""docs/chain.md's supervisor check, run as printed: plain eth_call JSON-RPC and the standard library."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_client.evm import abi, artifact
from chain_client.tlog import parse_text
from tests.bridge.world import World, make_world

DOC = Path(__file__).resolve().parents[2] / "docs" / "chain.md"
pytestmark = [pytest.mark.anvil, pytest.mark.slow]


def _script() -> str:
    text = DOC.read_text()
    block = text.split("<!-- check_anchor.py -->", 1)[1]
    found = re.search(r"```python\n(.*?)```", block, re.DOTALL)
    assert found is not None
    return found.group(1)


def test_the_documented_selectors_and_call_data_are_the_contracts() -> None:
    built = artifact("CheckpointAnchor")
    assert built.selector("bySize(string,uint64)").hex() == "3f882c4e"
    assert built.selector("latest(string)").hex() == "95305680"
    assert 'SELECTOR = "3f882c4e"' in _script()
    curl = DOC.read_text().split('"data":"0x', 1)[1].split('"}', 1)[0].replace("\n", "")
    assert curl == abi.call_data(built.selector("bySize(string,uint64)"), "ledger.test/leasechain", 17).hex()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path)
    try:
        yield made
    finally:
        made.ledger.stop()
        made.anvil.stop()


def test_a_supervisor_checks_an_anchor_with_only_the_rpc_endpoint(world: World, tmp_path: Path) -> None:
    bridge = world.bridge(confirmations=1)
    assert bridge.anchorer.step().action == "anchored"
    with bridge.client as client:
        checkpoint = parse_text(client.http.get("/checkpoint").text.split("\n\n")[0] + "\n")
    script = tmp_path / "check_anchor.py"
    script.write_text(_script())

    def run(size: int, root: str) -> subprocess.CompletedProcess[str]:
        args = [sys.executable, str(script), world.anvil.url, world.anchor, world.origin, str(size), root]
        return subprocess.run(args, capture_output=True, text=True, timeout=60)

    good = run(checkpoint.size, checkpoint.root.hex())
    assert good.returncode == 0, good.stderr
    assert "ANCHORED" in good.stdout
    assert run(checkpoint.size, "00" * 32).returncode == 1  # another root
    assert run(checkpoint.size + 1, checkpoint.root.hex()).returncode == 1  # a size never anchored
