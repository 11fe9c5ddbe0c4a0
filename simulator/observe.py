"""What the gateway stored and the ledger anchored, read through their own interfaces.

- The gateway's store, through ``gateway.status`` (what ``leasechain-gateway
  status`` reads, read-only and safe beside the running service): which messages were stored and when,
  which were quarantined and why.  Only when the store is reachable from here.
- The ledger, through the SDK: every message anchored for each device with its
  verdict; and the stream of newly verified readings, timestamped on arrival,
  for publish-to-anchored latency.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from chain_client.client import ClientError, LedgerClient
from gateway import status


@dataclass
class GatewayView:
    """The gateway store's verdicts by message digest."""

    stored: dict[bytes, float] = field(default_factory=dict)  # digest -> commit time
    quarantined: dict[bytes, str] = field(default_factory=dict)  # digest -> reason
    counters: dict[str, int] = field(default_factory=dict)
    unanchored: int = 0


def read_gateway(path: Path) -> GatewayView:
    """Snapshot of the gateway's store at ``path`` (gateway.sqlite3)."""
    held = status.messages(path)
    view = GatewayView(stored=held.stored, quarantined=held.quarantined)
    stats = status.read(path)
    view.counters = dict(stats.counters)
    view.unanchored = stats.unbatched + stats.pending_readings
    return view


PAGE = 10_000  # the ledger's largest telemetry page


@dataclass
class LedgerView:
    """The ledger's verdicts: digest -> list of (status, reason), one per anchored copy."""

    verdicts: dict[bytes, list[tuple[str, str]]] = field(default_factory=dict)
    # (device, boot, seq) -> number of copies the ledger counted as verified
    verified_ids: dict[tuple[str, int, int], int] = field(default_factory=dict)
    rows: int = 0


def read_ledger(
    url: str,
    devices: Iterable[str],
    workers: int = 8,
    min_boot: int = 0,
    digests: Collection[bytes] = (),
) -> LedgerView:
    """Every anchored message of ``devices`` (hex ids) from boot ``min_boot`` on, device by device.

    Earlier runs of the same fleet on this ledger used lower boot numbers (simulator/fleet.py),
    so ``min_boot`` keeps the view to one run; a message in ``digests`` (this run's) is kept
    whatever its boot (a malformed one has none).
    """
    view = LedgerView()
    with LedgerClient(url, timeout=60) as client:

        def one(device: str) -> list[tuple[bytes, str, str, int, int]]:
            # Pages by stamp (the order the ledger serves); a page boundary inside one stamp is
            # read again from that stamp and the rows already seen are skipped.
            out: list[tuple[bytes, str, str, int, int]] = []
            seen: set[tuple[int, int]] = set()
            since: int | None = None
            while True:
                rows = client.telemetry(device=device, since=since, limit=PAGE)
                for r in rows:
                    if (r.batch, r.position) not in seen:
                        seen.add((r.batch, r.position))
                        digest = hashlib.sha256(bytes.fromhex(r.message)).digest()
                        if r.boot >= min_boot or digest in digests:
                            out.append((digest, r.status, r.reason, r.boot, r.seq))
                if len(rows) < PAGE:
                    return out
                # A whole page inside one stamp (more than PAGE readings of one device in one
                # second, which no scenario produces: rate <= 100) moves on to the next second.
                since = rows[-1].stamp + 1 if rows[-1].stamp == since else rows[-1].stamp

        with ThreadPoolExecutor(workers) as pool:
            for device, rows in zip(devices, pool.map(one, list(devices)), strict=False):
                for digest, verdict, reason, boot, seq in rows:
                    view.rows += 1
                    view.verdicts.setdefault(digest, []).append((verdict, reason))
                    if verdict == "verified":
                        key = (device, boot, seq)
                        view.verified_ids[key] = view.verified_ids.get(key, 0) + 1
    return view


class AnchorStream:
    """Arrival times of newly verified readings (the ledger's SSE stream), by digest."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.arrived: dict[bytes, float] = {}
        self.error = ""
        self._client = LedgerClient(url)
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="anchor-stream", daemon=True)

    def start(self) -> None:
        """Subscribe (returns once the stream is open, or after 5 s)."""
        self._thread.start()
        self._ready.wait(5)

    def _run(self) -> None:
        try:
            self._ready.set()
            for reading in self._client.stream_readings():
                self.arrived.setdefault(hashlib.sha256(bytes.fromhex(reading.message)).digest(), time.time())
        except (ClientError, OSError, RuntimeError) as exc:
            self.error = repr(exc)
        except Exception as exc:  # noqa: BLE001 - closing the client under the reader ends it any way httpx likes
            self.error = repr(exc)

    def stop(self) -> None:
        """Close the stream."""
        self._client.close()
