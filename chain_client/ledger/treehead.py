"""Signed tree heads: the operator's Ed25519 signature over the log's size and root.

The signed bytes are ``TREE_HEAD_CONTEXT`` followed by the canonical CBOR map
``{"log": operator public key, "root": root hash, "size": tree size,
"time": Unix seconds}``.  The JSON form (docs/ledger.md) carries the same
fields in hex.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from chain_client import cbor
from chain_client.ledger.errors import TreeHeadError

TREE_HEAD_CONTEXT = b"LeaseChain tree head v1\x00"


@dataclass(frozen=True)
class TreeHead:
    """A signed tree head."""

    size: int
    root: bytes
    time: int
    public_key: bytes
    signature: bytes

    def signed_bytes(self) -> bytes:
        """The bytes the signature covers."""
        return tree_head_bytes(self.size, self.root, self.time, self.public_key)

    def to_json(self) -> dict[str, Any]:
        """JSON form: ``tree_size``, ``root_hash``, ``timestamp``, ``public_key``, ``signature``."""
        return {
            "tree_size": self.size,
            "root_hash": self.root.hex(),
            "timestamp": self.time,
            "public_key": self.public_key.hex(),
            "signature": self.signature.hex(),
        }


def tree_head_bytes(size: int, root: bytes, time: int, public_key: bytes) -> bytes:
    """Signed bytes of a tree head."""
    return TREE_HEAD_CONTEXT + cbor.dumps({"log": public_key, "root": root, "size": size, "time": time})


def sign_tree_head(size: int, root: bytes, time: int, key: SigningKey) -> TreeHead:
    """Sign a tree head with the operator's key."""
    public_key = bytes(key.verify_key)
    signature = key.sign(tree_head_bytes(size, root, time, public_key)).signature
    return TreeHead(size=size, root=root, time=time, public_key=public_key, signature=signature)


def _hex(data: Mapping[str, Any], name: str, size: int) -> bytes:
    value = data.get(name)
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != size:
        raise TreeHeadError(f"tree head field {name!r} is {value!r}, expected {size} bytes in hex")
    return raw


def _int(data: Mapping[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TreeHeadError(f"tree head field {name!r} is {value!r}, expected a non-negative integer")
    return value


def tree_head_from_json(data: Mapping[str, Any]) -> TreeHead:
    """Parse the JSON form of a tree head (without checking its signature)."""
    return TreeHead(
        size=_int(data, "tree_size"),
        root=_hex(data, "root_hash", 32),
        time=_int(data, "timestamp"),
        public_key=_hex(data, "public_key", 32),
        signature=_hex(data, "signature", 64),
    )


def verify_tree_head(head: TreeHead, public_key: bytes) -> None:
    """Check that ``head`` was signed by the log whose key is ``public_key``."""
    if head.public_key != public_key:
        raise TreeHeadError(f"tree head names log key {head.public_key.hex()}, expected {public_key.hex()}")
    try:
        VerifyKey(public_key).verify(head.signed_bytes(), head.signature)
    except BadSignatureError:
        raise TreeHeadError(
            f"tree head signature for size {head.size} does not verify for {public_key.hex()}"
        ) from None
