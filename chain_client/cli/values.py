"""Parsing command-line values: times, amounts, ``k=v`` maps and fee splits, with errors naming the value."""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Sequence

ACCOUNT_RE = re.compile(r"[0-9a-f]{64}")


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
    """Unix seconds, ``now``, or ``now+N`` / ``+N`` seconds from now."""
    now = int(time.time())
    if text == "now":
        return now
    for prefix in ("now+", "+"):
        if text.startswith(prefix):
            return now + uint(text[len(prefix) :])
    return uint(text)


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
