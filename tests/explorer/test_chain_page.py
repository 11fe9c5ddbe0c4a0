"""The log's on-chain anchors on the home page and on ``/chain``: chains by name, sizes, roots, blocks,
transactions, cosignatures and times as people read them, from a real backend through the explorer process."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from chain_client import human
from chain_client.client import LedgerClient
from harness.ports import free_port, wait_for_port
from tests.gateway.ledger_backend import LedgerBackend, seeded

BASE = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
PRIVATE = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512"


@dataclass
class Site:
    backend: LedgerBackend
    url: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    backend = LedgerBackend(tmp_path_factory.mktemp("chain-ledger"))
    backend.start()
    port = free_port()
    log = tmp_path_factory.mktemp("chain-explorer") / "explorer.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "explorer", "--ledger", backend.url, "--port", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        yield Site(backend, f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)
        backend.kill()


def _text(site: Site, path: str) -> str:
    with urllib.request.urlopen(site.url + path, timeout=30) as response:
        page = response.read().decode()
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    return html.unescape(re.sub(r" ([,.:;)])", r"\1", words))


def _record(site: Site, chain_id: int, contract: str, block: int, cosignatures: int) -> tuple[int, bytes]:
    """The bridge's record of an anchor of the log's current tree: its size and root."""
    with LedgerClient(site.backend.url) as client:
        head = client.tree_head()
    site.backend.submit(
        seeded("bridge"),
        "record_anchor",
        chain_id=chain_id,
        contract=contract,
        size=head.size,
        root=head.root,
        cosignatures=cosignatures,
        tx_hash=bytes([block % 256]) * 32,
        block=block,
    )
    return head.size, head.root


def test_anchors_appear_on_the_home_page_and_the_chain_page(site: Site) -> None:
    # Before any anchor, both pages say so.
    assert "No checkpoint of this log has been anchored on a chain yet" in _text(site, "/")
    assert "No checkpoint of this log has been anchored on a chain yet" in _text(site, "/chain")
    site.backend.certify(seeded("bridge"), "Anchor Bridge GmbH", "service")
    _record(site, 8453, BASE, 2_210_931, 2)
    size, root = _record(site, 8453, BASE, 2_210_945, 2)
    private_size, _ = _record(site, 990_001, PRIVATE, 77, 0)
    with LedgerClient(site.backend.url) as client:
        recorded = {a.chain_id: a for a in client.anchors()}
        ledger_size = client.info().size

    home = _text(site, "/")
    assert (
        f"Base (chain 8453): tree size {size:,} ({ledger_size - size} entries behind the ledger) anchored in "
        f"block 2,210,945 with 2 witness cosignatures, recorded {human.when(recorded[8453].recorded_at)}"
    ) in home
    assert f"chain 990001: tree size {private_size:,} (1 entry behind the ledger)" in home
    assert "anchored in block 77 with no witness cosignature" in home
    assert "Contracts, roots and transactions" in home

    chain = _text(site, "/chain")
    # The newest anchor of each contract, with its contract, root, block, transaction, recorder and count.
    base_row = chain.split("Base (chain 8453)", 1)[1].split("chain 990001", 1)[0]
    for shown in (BASE, root.hex(), "2,210,945", "0x" + bytes([2_210_945 % 256]).hex() * 32):
        assert shown in base_row
    assert "2 witness cosignatures" in base_row
    assert "Anchor Bridge GmbH" in base_row
    assert human.when(recorded[8453].recorded_at) in base_row
    assert re.search(r"Anchor Bridge GmbH \([0-9a-f]+…\) 2 ", base_row)  # two anchors of this contract
    assert PRIVATE in chain
    # The log entry of a record names the chain too.
    entry = _text(site, f"/entry/{ledger_size - 1}")
    assert f"recorded that log size {private_size} is anchored on chain 990001" in entry
    assert "Base (chain 8453)" in _text(site, f"/entry/{size}")


def test_the_chain_page_is_linked_from_every_page(site: Site) -> None:
    with urllib.request.urlopen(site.url + "/log", timeout=30) as response:
        assert 'href="/chain"' in response.read().decode()
