"""``chain_client.evm`` against a node that answers badly: every answer is checked and named."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chain_client.evm import ChainError, Rpc, anchor_at, latest_anchor
from chain_client.evm.abi import address, call_data
from chain_client.evm.rpc import MAX_ANSWER

CONTRACT = "0x5fbdb2315678afecb367f032d93f642f64180aa3"


class _Node(http.server.BaseHTTPRequestHandler):
    answer: bytes = b""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def node() -> Iterator[tuple[str, type[_Node]]]:
    handler = type("Node", (_Node,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def _result(value: Any) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": 1, "result": value}).encode()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON-RPC object"),
        (b'{"jsonrpc": "2.0", "id": 1}', "no result"),
        (json.dumps({"error": {"code": 3, "message": "execution reverted"}}).encode(), "execution reverted"),
        (_result("0x1234"), "returned 2 bytes"),
        (_result("1234"), "0x-prefixed hex"),
        (_result("0xzz"), "not hex"),
        (_result(12), "0x-prefixed hex"),
        (b'{"result": "0x' + b"0" * MAX_ANSWER + b'"}', "answer over"),
    ],
    ids=["not json", "array", "no result", "error", "short", "no 0x", "not hex", "number", "oversized"],
)
def test_a_bad_answer_is_a_named_chain_error(
    node: tuple[str, type[_Node]], answer: bytes, message: str
) -> None:
    url, handler = node
    handler.answer = answer
    with Rpc(url) as rpc, pytest.raises(ChainError, match=message):
        latest_anchor(rpc, CONTRACT, "ledger.test/log")


def test_a_well_formed_answer_decodes(node: tuple[str, type[_Node]]) -> None:
    url, handler = node
    words = [17, 2, 40, 1_700_000_000, int.from_bytes(bytes(range(32)), "big")]
    handler.answer = _result("0x" + "".join(f"{w:064x}" for w in words))
    with Rpc(url) as rpc:
        found = anchor_at(rpc, CONTRACT, "ledger.test/log", 17)
    assert (found.size, found.cosignatures, found.block, found.root) == (17, 2, 40, bytes(range(32)))


def test_quantities_and_unreachable_nodes(node: tuple[str, type[_Node]]) -> None:
    url, handler = node
    handler.answer = _result("0x" + "f" * 80)
    with Rpc(url) as rpc, pytest.raises(ChainError, match="quantity"):
        rpc.chain_id()
    with Rpc("http://127.0.0.1:9", timeout=2) as rpc, pytest.raises(ChainError, match="eth_chainId"):
        rpc.chain_id()


def test_call_data_and_addresses() -> None:
    data = call_data(b"\x3f\x88\x2c\x4e", "ab", 5)
    assert len(data) == 4 + 4 * 32
    assert data[4 + 32 * 3 : 4 + 32 * 3 + 2] == b"ab"
    with pytest.raises(ChainError, match="not an address"):
        address(1 << 200)
    with pytest.raises(ChainError, match="uint256"):
        call_data(b"\0" * 4, "", -1)
