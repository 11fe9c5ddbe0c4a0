"""Exactly-once by (device, kind, boot, seq), in memory that grows with devices and gaps, not readings.

Per (device, kind, boot) the sequence numbers already counted are kept as
half-open ranges ``[lo, hi)`` in one flat sorted list ``[lo0, hi0, lo1, hi1, ...]``:
a device that counts up without gaps costs one range per boot, whatever the
number of its readings.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from backend.tracked import TrackedMap, read_items

Key = tuple[str, str, int]  # device id (hex), message kind, boot


@dataclass
class SeenReadings:
    """The (device, kind, boot, seq) already counted, as ranges of seq per (device, kind, boot)."""

    ranges: dict[Key, list[int]] = field(default_factory=TrackedMap)

    def add(self, device: str, kind: str, boot: int, seq: int) -> bool:
        """Count ``seq``; False when it was counted before (a duplicate)."""
        flat = self.ranges.setdefault((device, kind, boot), [])
        i = bisect.bisect_right(flat, seq)
        if i % 2:  # flat[i - 1] <= seq < flat[i]: inside a range
            return False
        joins_left = i > 0 and flat[i - 1] == seq
        joins_right = i < len(flat) and flat[i] == seq + 1
        if joins_left and joins_right:
            del flat[i - 1 : i + 1]  # the two ranges become one
        elif joins_left:
            flat[i - 1] = seq + 1
        elif joins_right:
            flat[i] = seq
        else:
            flat[i:i] = [seq, seq + 1]
        return True

    def __contains__(self, item: tuple[str, str, int, int]) -> bool:
        device, kind, boot, seq = item
        flat = self.ranges.get((device, kind, boot), [])
        return bool(bisect.bisect_right(flat, seq) % 2)

    def snapshot(self) -> list[tuple[str, str, int, list[int]]]:
        """Canonical form: ``[device, kind, boot, ranges]`` rows in key order."""
        return [row(key, flat) for key, flat in sorted(read_items(self.ranges))]

    @classmethod
    def restore(cls, rows: list[tuple[str, str, int, list[int]]]) -> SeenReadings:
        """The inverse of :meth:`snapshot`."""
        return cls(TrackedMap({(d, k, b): list(flat) for d, k, b, flat in rows}))


def row(key: Key, flat: list[int]) -> tuple[str, str, int, list[int]]:
    """One (device, kind, boot) in the snapshot: ``[device, kind, boot, ranges]``."""
    device, kind, boot = key
    return (device, kind, boot, list(flat))
