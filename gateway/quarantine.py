"""What a quarantine row keeps of a rejected message, so that bad input cannot grow the store.

A message within the protocol's size limit (:data:`chain_client.cose.MAX_MESSAGE_SIZE`,
1024 bytes) is kept whole: a replay or a broken chain is a message signed
by a device key, and only its exact bytes prove what the device signed.
Anything bigger can only be ``oversize`` and proves nothing; the row keeps
its size, its SHA-256 digest and its first :data:`QUARANTINE_PREFIX_BYTES`
bytes, enough to tell what was sent and to match it against the sender's
copy.  The detail text is cut to :data:`MAX_DETAIL_CHARS` (a detail may
quote a topic, and an MQTT topic can be 64 KiB).  So every row is at most
:data:`MAX_ROW_BYTES`, and ``store.quarantine_max_rows`` bounds the table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from chain_client.cose import MAX_MESSAGE_SIZE

QUARANTINE_PREFIX_BYTES = 256  # of a message over MAX_MESSAGE_SIZE: its first bytes, for a look
MAX_DETAIL_CHARS = 512
# A generous bound on one row's share of the database: kept bytes, detail (UTF-8, up to 4 bytes
# a character), digest, device id, source, times and SQLite's row and index overhead.
MAX_ROW_BYTES = MAX_MESSAGE_SIZE + 4 * MAX_DETAIL_CHARS + 1024
DEFAULT_MAX_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class Original:
    """Size and SHA-256 of a message whose bytes were cut before they reached the store."""

    size: int
    sha256: bytes


def keep(raw: bytes, original: Original | None = None) -> tuple[bytes, Original]:
    """The bytes a quarantine row keeps of a message, with its size and digest.

    ``raw`` is the message, or its first bytes when ``original`` describes
    the whole (the MQTT reader cuts a large message as it streams by).
    """
    whole = original if original is not None else Original(len(raw), hashlib.sha256(raw).digest())
    return (raw if whole.size <= MAX_MESSAGE_SIZE else raw[:QUARANTINE_PREFIX_BYTES]), whole


def short_detail(detail: str) -> str:
    """``detail`` cut to :data:`MAX_DETAIL_CHARS`, marked as cut."""
    if len(detail) <= MAX_DETAIL_CHARS:
        return detail
    return detail[: MAX_DETAIL_CHARS - 1] + "…"
