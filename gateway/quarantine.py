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


SUMMARY_SECONDS = 60.0  # at most one summary line a minute, however many messages are quarantined
SUMMARY_DEVICES = 3  # devices named per reason in a summary line
_TRACKED_DEVICES = 1000  # devices counted per reason between two lines; the rest are "other"


class Summary:
    """Rate-limited log lines of what was quarantined, by reason and device.

    A quarantined message after a quiet period is reported at once; while more
    keep coming, they are counted and reported together at most once every
    ``interval`` seconds, so a flood of 60,000 bad messages is a line a minute,
    not 60,000 lines and not silence.  Memory is bounded: per reason, at most
    ``_TRACKED_DEVICES`` devices are counted by name.
    """

    def __init__(self, interval: float = SUMMARY_SECONDS) -> None:
        self.interval = interval
        self._counts: dict[str, dict[bytes | None, int]] = {}
        self._total = 0
        self._last_line = float("-inf")

    def add(self, reason: str, device: bytes | None) -> None:
        """Count one quarantined message (``device`` None when the message named none)."""
        per_device = self._counts.setdefault(reason, {})
        if device not in per_device and len(per_device) >= _TRACKED_DEVICES:
            device = None
        per_device[device] = per_device.get(device, 0) + 1
        self._total += 1

    def line(self, now: float) -> str | None:
        """The summary to log now, or None when there is nothing new or the last line is too recent."""
        if not self._total or now - self._last_line < self.interval:
            return None
        parts = []
        for reason, per_device in sorted(self._counts.items(), key=lambda item: -sum(item[1].values())):
            named = sorted(
                ((n, d) for d, n in per_device.items() if d is not None), key=lambda x: (-x[0], x[1])
            )
            count = sum(per_device.values())
            devices = f"{len(named)} device{'s' if len(named) != 1 else ''}"
            shown = ", ".join(f"{d.hex()} {n}" for n, d in named[:SUMMARY_DEVICES])
            more = ", …" if len(named) > SUMMARY_DEVICES else ""
            anonymous = per_device.get(None, 0)
            without = f"; {anonymous} without a device id or beyond {_TRACKED_DEVICES}" if anonymous else ""
            parts.append(
                f"{reason} {count} from {devices}" + (f" ({shown}{more})" if shown else "") + without
            )
        since = "" if self._last_line == float("-inf") else f" in the last {now - self._last_line:.0f} s"
        text = f"quarantined {self._total} message{'s' if self._total != 1 else ''}{since}: " + "; ".join(
            parts
        )
        self._counts.clear()
        self._total = 0
        self._last_line = now
        return text
