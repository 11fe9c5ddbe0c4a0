"""Parsing command-line values: times, amounts, ``k=v`` maps and fee splits, with errors naming the value."""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime

ACCOUNT_RE = re.compile(r"[0-9a-f]{64}")
# The short form people read (``9cc3a1b2…``), or any longer prefix, with or without the ellipsis.
ACCOUNT_PREFIX_RE = re.compile(r"([0-9a-f]{8,63})…?")


def uint(text: str) -> int:
    """A non-negative integer (amounts are minor units)."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def posint(text: str) -> int:
    """A positive integer."""
    value = uint(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def when(text: str) -> int:
    """Unix seconds, ISO 8601 (UTC unless it names an offset), ``now``, ``+N`` / ``now+N`` seconds
    from now, or ``-N`` / ``now-N`` seconds ago."""
    now = int(time.time())
    if text == "now":
        return now
    for prefix in ("now+", "+"):
        if text.startswith(prefix):
            return now + uint(text[len(prefix) :])
    for prefix in ("now-", "-"):
        if text.startswith(prefix):
            return max(0, now - uint(text[len(prefix) :]))
    if text.isdigit():
        return uint(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: give ISO 8601 (2024-05-01T12:00:00Z), Unix seconds, now, "
            "+SECONDS or -SECONDS"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return uint(str(int(parsed.timestamp())))


def pairs(items: Sequence[str] | None, what: str) -> dict[str, str]:
    """``key=value`` items as a map."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise argparse.ArgumentTypeError(f"{what} {item!r} must be KEY=VALUE")
        out[key] = value
    return out


def fee(text: str) -> tuple[str, int]:
    """A fee split ``ACCOUNT:BPS`` (the account may be a keystore key name)."""
    account, sep, bps = text.rpartition(":")
    if not sep or not account:
        raise argparse.ArgumentTypeError(f"fee {text!r} must be ACCOUNT:BPS, e.g. operator:250")
    return account, posint(bps)


def hex_bytes(text: str) -> bytes:
    """Bytes given in hex."""
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not hex") from None
