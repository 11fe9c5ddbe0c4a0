"""How a reading row is stored (schema 4) and read back: the same row, in fewer bytes.

The ledger hands storage rows of ``batch, position, device`` (hex), ``token`` (id), ``stamp``,
``status``, ``reason``, ``increment`` and ``message``; storage keeps

- the device id as its bytes (16, not 32 hex digits), ``b""`` for a message that does not decode;
- the token as its key in ``token_keys`` (:mod:`backend.token_keys`);
- the verdict in one nullable column, ``reason``: NULL for a verified message, ``""`` for a
  duplicate, else the reason of a rejected one (a rejection always has one).

Reading a row back gives the columns as the ledger wrote them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from backend.errors import BackendError

VERIFIED, DUPLICATE, REJECTED = "verified", "duplicate", "rejected"
# The stored row's columns, in the order of the table and of :func:`encode`'s tuple.
COLUMNS = ("batch", "position", "token_key", "stamp", "increment", "device", "reason", "message")


def stored_verdict(status: str, reason: str) -> str | None:
    """The ``reason`` column of a row judged ``status`` for ``reason``."""
    if status == VERIFIED and not reason:
        return None
    if status == DUPLICATE and not reason:
        return ""
    if status == REJECTED and reason:
        return reason
    raise BackendError(f"a reading judged {status!r} with reason {reason!r} has no stored form")


def verdict(stored: str | None) -> tuple[str, str]:
    """The status and reason a ``reason`` column holds."""
    if stored is None:
        return VERIFIED, ""
    return (DUPLICATE, "") if stored == "" else (REJECTED, stored)


def device_bytes(device: str) -> bytes | None:
    """The stored form of a device id in hex; None if ``device`` is not lower-case hex (no row has it)."""
    try:
        raw = bytes.fromhex(device)
    except ValueError:
        return None
    return raw if raw.hex() == device else None


def encode(row: Mapping[str, Any], keys: Mapping[str, int]) -> tuple[Any, ...]:
    """The stored columns (:data:`COLUMNS`) of a ledger row; ``keys`` gives its token's key."""
    device = device_bytes(row["device"])
    if device is None:
        raise BackendError(f"a reading's device {row['device']!r} is not a device id in hex")
    return (
        row["batch"],
        row["position"],
        keys[row["token"]],
        row["stamp"],
        row["increment"],
        device,
        stored_verdict(row["status"], row["reason"]),
        row["message"],
    )


def decode(stored: Mapping[Any, Any], token: Callable[[int], str]) -> dict[str, Any]:
    """The ledger row of a stored one; ``token`` names the token of a key."""
    status, reason = verdict(stored["reason"])
    return {
        "batch": stored["batch"],
        "position": stored["position"],
        "device": bytes(stored["device"]).hex(),
        "token": token(stored["token_key"]),
        "stamp": stored["stamp"],
        "status": status,
        "reason": reason,
        "increment": stored["increment"],
        "message": stored["message"],
    }
