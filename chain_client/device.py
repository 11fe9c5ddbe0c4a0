"""Device identity: the id derived from a device's Ed25519 public key."""

from __future__ import annotations

import hashlib

from chain_client.errors import ProtocolError
from chain_client.payload import DEVICE_ID_SIZE, PUBLIC_KEY_SIZE
from chain_client.reasons import Reason


def device_id(public_key: bytes) -> bytes:
    """Device id: the first 16 bytes of ``SHA-256(public_key)``."""
    if len(public_key) != PUBLIC_KEY_SIZE:
        raise ProtocolError(
            Reason.BAD_PAYLOAD, f"public key is {len(public_key)} bytes, expected {PUBLIC_KEY_SIZE}"
        )
    return hashlib.sha256(public_key).digest()[:DEVICE_ID_SIZE]


def device_id_text(device: bytes) -> str:
    """Text form of a device id (lowercase hex, 32 characters), as used in topics and APIs."""
    return device.hex()


def parse_device_id(text: str) -> bytes:
    """Parse the text form of a device id; raise :class:`ProtocolError` naming the bad value."""
    if len(text) != 2 * DEVICE_ID_SIZE or text != text.lower():
        raise ProtocolError(
            Reason.BAD_PAYLOAD, f"device id {text!r} must be {2 * DEVICE_ID_SIZE} lowercase hex digits"
        )
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ProtocolError(Reason.BAD_PAYLOAD, f"device id {text!r} is not hex") from None
