"""``leasechain-gateway devices``: every device the store has heard from, known or not.

Read-only, like ``status``.  Counts come from the store as it is now: readings
not yet pruned (``store.keep_anchored_seconds``) and the quarantine rows still
kept (``store.quarantine_max_rows``); the registry is the one the service
starts from (the registry file and the cache of the last sync).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gateway.registry import Device
from gateway.store import open_readonly


@dataclass
class Seen:
    """One device as the store knows it."""

    device: str  # 32 hex digits
    state: str  # active, rotated, revoked, or unknown (not in the registry)
    stored: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)  # reason -> rows kept
    last_seen: float | None = None

    @property
    def rejected(self) -> int:
        """Quarantine rows kept for this device."""
        return sum(self.quarantined.values())


def read(path: Path, registry: Mapping[bytes, Device]) -> list[Seen]:
    """Every device with readings or quarantine rows in the store; unknown ones first, then by id."""
    db = open_readonly(path)
    seen: dict[bytes, Seen] = {}

    def entry(device: bytes) -> Seen:
        if device not in seen:
            known = registry.get(device)
            seen[device] = Seen(device.hex(), known.state if known is not None else "unknown")
        return seen[device]

    try:
        for device, count, last in db.execute(
            "SELECT device, COUNT(*), MAX(received_at) FROM readings GROUP BY device"
        ):
            one = entry(bytes(device))
            one.stored = int(count)
            one.last_seen = float(last)
        for device, reason, count, last in db.execute(
            "SELECT device, reason, COUNT(*), MAX(received_at) FROM quarantine "
            "WHERE device IS NOT NULL GROUP BY device, reason"
        ):
            one = entry(bytes(device))
            one.quarantined[str(reason)] = int(count)
            one.last_seen = max(one.last_seen or 0.0, float(last))
    finally:
        db.close()
    return sorted(seen.values(), key=lambda s: (s.state != "unknown", s.device))


def as_dicts(devices: list[Seen]) -> list[dict[str, Any]]:
    """JSON-ready form."""
    return [asdict(d) for d in devices]


def render(devices: list[Seen]) -> str:
    """A table: unknown devices first (enrol them, or find who sends in their name)."""
    if not devices:
        return "no device has sent anything to this gateway yet"
    unknown = sum(1 for d in devices if d.state == "unknown")
    lines = [
        f"{len(devices)} devices seen, {unknown} unknown (not in the registry)",
        f"{'device':32}  {'registry':8}  {'stored':>8}  {'rejected':>8}  {'last seen':19}  reasons",
    ]
    for d in devices:
        last = "-" if d.last_seen is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d.last_seen))
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(d.quarantined.items(), key=lambda x: -x[1]))
        lines.append(f"{d.device:32}  {d.state:8}  {d.stored:>8}  {d.rejected:>8}  {last:19}  {reasons}")
    return "\n".join(lines)
