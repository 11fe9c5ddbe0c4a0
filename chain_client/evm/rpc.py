"""Plain Ethereum JSON-RPC over HTTP: ``eth_chainId``, ``eth_blockNumber``, ``eth_call``."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from chain_client.evm.errors import ChainError

# An answer to the calls made here is a few hundred bytes; a node (or something posing as one)
# sending more is cut off rather than read into memory.
MAX_ANSWER = 1 << 20


def _hex_bytes(value: Any, what: str) -> bytes:  # noqa: ANN401 - JSON of any shape, checked here
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ChainError(f"the node's {what} is {str(value)[:80]!r}, expected 0x-prefixed hex")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise ChainError(f"the node's {what} {value[:80]!r} is not hex") from None


def _quantity(value: Any, what: str) -> int:  # noqa: ANN401 - JSON of any shape, checked here
    if not isinstance(value, str) or not value.startswith("0x") or len(value) > 66:
        raise ChainError(f"the node's {what} is {str(value)[:80]!r}, expected a 0x-prefixed quantity")
    try:
        return int(value, 16)
    except ValueError:
        raise ChainError(f"the node's {what} {value!r} is not a hex quantity") from None


class Rpc:
    """One Ethereum node's JSON-RPC endpoint; use it as a context manager or call :meth:`close`."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.http = httpx.Client(timeout=timeout)
        self._ids = itertools.count(1)

    def __enter__(self) -> Rpc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.http.close()

    def request(self, method: str, params: list[Any]) -> Any:  # noqa: ANN401 - the node's JSON result
        """The ``result`` of one JSON-RPC call; :class:`ChainError` for an error or a bad answer."""
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        try:
            with self.http.stream("POST", self.url, json=body) as response:
                raw = b""
                for chunk in response.iter_bytes():
                    raw += chunk
                    if len(raw) > MAX_ANSWER:
                        raise ChainError(f"{method} at {self.url}: answer over {MAX_ANSWER} bytes")
        except httpx.HTTPError as exc:
            raise ChainError(f"{method} at {self.url} failed: {exc!r}") from None
        try:
            answer = httpx.Response(200, content=raw).json()
        except ValueError:
            raise ChainError(f"{method} at {self.url}: the answer is not JSON: {raw[:80]!r}") from None
        if not isinstance(answer, dict):
            raise ChainError(f"{method} at {self.url}: the answer is not a JSON-RPC object")
        if "error" in answer:
            raise ChainError(f"{method} at {self.url} answered an error: {str(answer['error'])[:200]}")
        if "result" not in answer:
            raise ChainError(f"{method} at {self.url}: the answer has no result")
        return answer["result"]

    def chain_id(self) -> int:
        """The chain's id (EIP-155)."""
        return _quantity(self.request("eth_chainId", []), "chain id")

    def block_number(self) -> int:
        """The newest block's number."""
        return _quantity(self.request("eth_blockNumber", []), "block number")

    def call(self, to: str, data: bytes, block: int | str = "latest") -> bytes:
        """The return bytes of a read-only call of ``to`` with ``data`` at ``block``."""
        tag = hex(block) if isinstance(block, int) else block
        result = self.request("eth_call", [{"to": to, "data": "0x" + data.hex()}, tag])
        return _hex_bytes(result, "eth_call result")
