"""Audit bundles cite the on-chain anchors; ``audit verify --rpc`` and ``chain status`` read the chain."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_client.audit import export_bundle, save, verify_bundle
from chain_client.audit.anchors import verify_on_chain
from chain_client.cli.main import main
from chain_client.evm import Rpc
from tests.bridge.world import World, make_world

pytestmark = [pytest.mark.anvil, pytest.mark.slow]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path)
    try:
        yield made
    finally:
        made.ledger.stop()
        made.anvil.stop()


def _invoiced_lease(world: World) -> str:
    with world.client(world.cast.maker) as maker, world.client(world.cast.lessee) as lessee:
        token = maker.mint_token(
            "SN-A", "CNC-5", price=1000, salvage_value=0, shares=10, share_price=100
        ).token
        start = int(time.time())
        lease = maker.offer_lease(
            token, world.cast.lessee.account, start=start, end=start + 2, period=2, fixed_rent=100
        ).lease
        lessee.sign_lease(lease)
        time.sleep(max(0.0, start + 2.2 - time.time()))
        maker.issue_invoice(lease, 0)
    return str(lease)


def _anchor_and_record(world: World) -> None:
    bridge = world.bridge(confirmations=1)
    assert bridge.anchorer.step().action == "anchored"
    assert bridge.anchorer.step().action == "recorded"


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out)
    return code, out.getvalue()


def test_a_bundle_cites_its_anchor_and_the_chain_confirms_it(world: World, tmp_path: Path) -> None:
    lease = _invoiced_lease(world)
    _anchor_and_record(world)
    with world.client(world.cast.auditor) as auditor:
        bundle = export_bundle(auditor, lease, 0)
    assert bundle.origin == world.origin
    (cited,) = bundle.anchors
    assert verify_bundle(bundle, world.cast.operator_account).ok
    with Rpc(world.anvil.url) as rpc:
        result = verify_on_chain(bundle, rpc)
    assert result.ok, result.lines
    assert "every entry of the bundle lies in the tree of size" in result.lines[0]
    # The chain later anchors a bigger tree: confirmed through a consistency proof from the ledger.
    world.grow()
    _anchor_and_record(world)
    path = tmp_path / "bundle.json"
    save(bundle, path)
    code, text = _cli(
        "audit",
        "verify",
        str(path),
        "--log-key",
        world.cast.operator_account,
        "--rpc",
        world.anvil.url,
        "--url",
        world.ledger.url,
    )
    assert code == 0, text
    assert "a later tree" in text
    assert text.strip().endswith("bundle verified, and anchored on chain")
    # A bundle whose cited record was tampered with fails offline, before any chain is asked.
    forged = bundle.model_copy(update={"anchors": [cited.model_copy(update={"consistency": []})]})
    report = verify_bundle(forged, world.cast.operator_account)
    assert [f.check for f in report.failures] == ["anchor_consistency"]
    elsewhere = bundle.model_copy(update={"anchors": [cited.model_copy(update={"index": 0})]})
    assert [f.check for f in verify_bundle(elsewhere, world.cast.operator_account).failures] == [
        "anchor_consistency"
    ]


def test_a_bundle_without_an_anchor_on_chain_is_not_confirmed(world: World, tmp_path: Path) -> None:
    lease = _invoiced_lease(world)
    with world.client(world.cast.auditor) as auditor:
        bundle = export_bundle(auditor, lease, 0)
    assert bundle.anchors == []
    path = tmp_path / "bundle.json"
    save(bundle, path)
    code, text = _cli(
        "audit",
        "verify",
        str(path),
        "--log-key",
        world.cast.operator_account,
        "--rpc",
        world.anvil.url,
        "--json",
    )
    assert code == 5
    answer = json.loads(text)
    assert answer["on_chain"]["ok"] is False
    assert "NOT confirmed on chain" in answer["verdict"]


def test_chain_status_shows_the_lag(world: World) -> None:
    code, text = _cli("chain", "status", "--url", world.ledger.url)
    assert code == 0
    assert "no on-chain anchor recorded yet" in text
    _anchor_and_record(world)
    world.grow()
    world.grow()
    code, text = _cli("chain", "status", "--url", world.ledger.url)
    assert f"local development chain (chain 31337) contract {world.anchor}: recorded size" in text
    code, text = _cli("chain", "status", "--url", world.ledger.url, "--rpc", world.anvil.url, "--json")
    assert code == 0
    (row,) = json.loads(text)["anchors"]
    assert row["entries_behind"] == 3  # the record itself and two deposits
    assert row["chain_size"] == row["recorded_size"]
    assert row["contract"] == world.anchor
