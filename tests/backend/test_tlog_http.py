"""The ledger as a C2SP transparency log over HTTP: a real ``leasechain-backend serve`` and
``leasechain-backend tiles``, checked with our client code and with aics-tlog (not ours)."""

from __future__ import annotations

import hashlib
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import aics_tlog
import pytest
from nacl.signing import SigningKey

from chain_client import cbor, merkle
from chain_client.ledger import sign
from chain_client.tlog import parse_vkey, verify_checkpoint
from chain_client.tlog.tiles import TILE_WIDTH, TileTree
from tests.backend.server import OPERATOR_KEY, Server, command

ORIGIN = "ledger.example.com/leasechain"
ENTRIES = 2 * TILE_WIDTH + 88  # two full level 0 tiles, a partial one, a partial level 1 tile


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with ``ENTRIES`` entries: the genesis and enterprise registrations."""
    tmp = tmp_path_factory.mktemp("tlog")
    key_file = tmp / "operator.key"
    key_file.write_text(bytes(OPERATOR_KEY).hex())
    (tmp / "data").mkdir()
    server = Server(tmp / "data", key_file, (f"sqlite:///{tmp / 'data' / 'ledger.sqlite3'}", None))
    server.args += ["--origin", ORIGIN]
    server.start()
    try:
        log_key = bytes(OPERATOR_KEY.verify_key)
        txs = []
        for i in range(ENTRIES - 1):
            key = SigningKey(hashlib.sha256(f"tlog party {i}".encode()).digest())
            args = {"name": f"Party {i}", "roles": ["investor"], "info": {}}
            txs.append(sign("register_enterprise", f"reg-{i}", args, key, ledger=log_key))
        for at in range(0, len(txs), 200):
            status, answer = server.post("/v1/transactions/batch", cbor.dumps(txs[at : at + 200]))
            assert status == 200
            assert all(r["status"] == "accepted" for r in answer["results"]), answer
        yield server
    finally:
        server.stop()


def fetch(url: str) -> tuple[bytes, dict[str, str]]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read(), {k.lower(): v for k, v in response.headers.items()}


def test_info_publishes_the_vkey_and_the_checkpoint_verifies_with_it(log: Server) -> None:
    info = log.get("/v1/info")
    assert (info["origin"], info["size"]) == (ORIGIN, ENTRIES)
    body, headers = fetch(log.url + "/checkpoint")
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    checkpoint, _ = verify_checkpoint(body, parse_vkey(info["vkey"]))
    head = log.get("/v1/log/tree-head")  # the JSON tree head still works, and agrees
    assert (checkpoint.size, checkpoint.root.hex()) == (head["tree_size"], head["root_hash"])

    theirs = aics_tlog.verify_checkpoint(
        aics_tlog.parse_note(body), aics_tlog.parse_vkey(info["vkey"]), expected_origin=ORIGIN
    )
    assert (theirs.log_ok, theirs.size, theirs.root) == (True, ENTRIES, checkpoint.root)


def test_an_inclusion_proof_takes_at_most_five_tile_reads(log: Server) -> None:
    checkpoint, _ = verify_checkpoint(
        fetch(log.url + "/checkpoint")[0], parse_vkey(log.get("/v1/info")["vkey"])
    )
    for index in (0, 300, ENTRIES - 1):
        tree = TileTree(lambda path: fetch(f"{log.url}/{path}")[0], checkpoint.size)
        entry = tree.entry(index)
        merkle.verify_inclusion(
            merkle.leaf_hash(entry), index, checkpoint.size, tree.inclusion_proof(index), checkpoint.root
        )
        assert len(tree.reads) <= 5, tree.reads
        assert entry.hex() == log.get(f"/v1/transactions/{index}")["entry"]
    # aics-tlog reads the same tiles over HTTP and finds the same proof and root.
    reader = aics_tlog.HttpTileReader(log.url + "/")
    assert aics_tlog.tree_root_from_tiles(reader, checkpoint.size) == checkpoint.root
    proof = aics_tlog.inclusion_proof_from_tiles(reader, 300, checkpoint.size)
    assert proof == [
        bytes.fromhex(h)
        for h in log.get(f"/v1/log/proof/inclusion?index=300&tree_size={ENTRIES}")["audit_path"]
    ]


def test_tiles_are_immutable_and_bad_paths_are_refused(log: Server) -> None:
    _, headers = fetch(log.url + "/tile/0/000")
    assert headers["content-type"] == "application/octet-stream"
    assert "immutable" in headers["cache-control"]
    assert log.call("GET", "/tile/0/003")[0] == 404  # beyond the tree
    assert log.call("GET", "/tile/0/002.p/89")[0] == 404  # wider than the tree
    assert log.call("GET", "/tile/0/002.p/87")[0] == 200  # an older tree's partial tile
    status, answer = log.call("GET", "/tile/0/x000/001")
    assert (status, answer["reason"]) == (400, "bad_request")


def test_the_tiles_command_writes_what_the_server_serves(log: Server, tmp_path: Path) -> None:
    out = tmp_path / "static"
    args = [*command(), "tiles", *log.db_args, "--key", str(log.args[log.args.index("--key") + 1])]
    subprocess.run(
        [*args, "--out", str(out), "--origin", ORIGIN], check=True, timeout=60, capture_output=True
    )
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == [
        "checkpoint",
        "tile/0/000",
        "tile/0/001",
        "tile/0/002.p/88",
        "tile/1/000.p/2",
        "tile/entries/000",
        "tile/entries/001",
        "tile/entries/002.p/88",
    ]
    for name in files:
        assert (out / name).read_bytes() == fetch(f"{log.url}/{name}")[0], name
    reader = aics_tlog.FileSystemTileReader(out)
    assert aics_tlog.tree_root_from_tiles(reader, ENTRIES) == bytes.fromhex(
        log.get("/v1/log/tree-head")["root_hash"]
    )
    # A second run writes only the checkpoint: full tiles never change.
    again = subprocess.run(
        [*args, "--out", str(out), "--origin", ORIGIN], check=True, timeout=60, capture_output=True
    )
    assert b'"files_written": 1' in again.stderr
