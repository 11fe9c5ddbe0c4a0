"""``leasechain telemetry``: query readings, follow them live (SSE), plot a device's verified readings."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC
from pathlib import Path

from chain_client.cli.context import Context
from chain_client.cli.errors import CliError
from chain_client.cli.registry import command, group
from chain_client.cli.values import posint, uint
from chain_client.client.errors import UnreachableError
from chain_client.client.models import TelemetryReading
from chain_client.errors import LeaseChainError
from chain_client.message import verify

COLUMNS = ["batch", "position", "device", "token", "boot", "seq", "stamp", "status", "reason", "run_seconds"]
MAX_ROWS = 10_000
SECONDS_PER_DAY = 86_400


def query(ctx: Context) -> int:
    """Stored readings by device, token, stamp range and verdict."""
    a = ctx.args
    with ctx.client() as client:
        rows = client.telemetry(
            device=a.device, token=a.token, since=a.since, until=a.until, status=a.status, limit=a.limit
        )
    ctx.rows(rows, COLUMNS)
    return 0


def _line(row: TelemetryReading) -> str:
    return (
        f"{row.batch}/{row.position} device {row.device} boot {row.boot} seq {row.seq} "
        f"run {row.run_seconds}s stamp {row.stamp} {row.readings}"
    )


def follow(ctx: Context) -> int:
    """Print newly verified readings as the ledger anchors them, until interrupted or --count reached.

    Once connected, a lost stream is reconnected (readings anchored meanwhile are in ``query``).
    """
    a = ctx.args
    seen, connected, delay = 0, False, 1.0
    with ctx.client() as client:
        try:
            while True:
                try:
                    client.info()  # fails fast, with exit 4, if there is no backend at all
                    connected = True
                    for row in client.stream_readings():
                        delay = 1.0
                        if (a.token and row.token != a.token) or (a.device and row.device != a.device):
                            continue
                        ctx.emit(row, _line(row))
                        ctx.out.flush()
                        seen += 1
                        if a.count and seen >= a.count:
                            return 0
                except UnreachableError as exc:
                    if not connected:
                        raise
                    print(f"leasechain: {exc}; reconnecting in {delay:.0f} s", file=sys.stderr)
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        except KeyboardInterrupt:
            return 0


def plot(ctx: Context) -> int:
    """Write a PNG of verified readings whose signature checks against the device's bound key."""
    a = ctx.args
    if not a.device and not a.token:
        raise CliError("give --device or --token")
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    with ctx.client() as client:
        rows = client.telemetry(
            device=a.device, token=a.token, since=a.since, until=a.until, status="verified", limit=MAX_ROWS
        )
        keys = {b.device: bytes.fromhex(b.public_key) for b in client.devices().devices}
    good: list[TelemetryReading] = []
    for row in rows:
        if row.kind != "reading" or row.device not in keys:
            continue
        try:
            verify(bytes.fromhex(row.message), keys[row.device])
        except LeaseChainError:
            continue
        good.append(row)
    if not good:
        raise CliError(f"no verified readings for {a.device or a.token}", code=1)
    good.sort(key=lambda r: (r.stamp, r.batch, r.position))
    # Matplotlib's date numbers are days since its epoch, 1970-01-01 UTC.
    times = [r.stamp / SECONDS_PER_DAY for r in good]
    fig, first = plt.subplots(figsize=(9, 4.5), dpi=100)
    first.step(
        times, [r.run_seconds / 3600 for r in good], where="post", color="tab:blue", label="machine-hours"
    )
    first.set_ylabel("run time (machine-hours)")
    first.set_xlabel("time (UTC)")
    first.xaxis_date(tz=UTC)
    if a.channel is not None:
        second = first.twinx()
        values = [(t, r.readings.get(str(a.channel))) for t, r in zip(times, good, strict=True)]
        shown = [(t, v) for t, v in values if v is not None]
        second.plot(
            [t for t, _ in shown],
            [v for _, v in shown],
            ".",
            color="tab:orange",
            label=f"channel {a.channel}",
        )
        second.set_ylabel(f"channel {a.channel}")
    first.set_title(f"verified readings of {a.device or a.token} ({len(good)})")
    fig.autofmt_xdate()
    fig.tight_layout()
    out = Path(a.output)
    try:
        fig.savefig(out, format="png")
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc}", code=1) from None
    finally:
        plt.close(fig)
    ctx.emit(
        {"output": str(out), "readings": len(good), "skipped": len(rows) - len(good)},
        f"wrote {out}: {len(good)} verified readings ({len(rows) - len(good)} skipped)",
    )
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``telemetry`` and its subcommands."""
    cmds = group(sub, "telemetry", "anchored device readings")
    q = command(cmds, "query", "stored readings", query, common)
    for c in (q,):
        c.add_argument("--device", help="device id (32 hex digits)")
        c.add_argument("--token")
        c.add_argument("--since", type=uint, help="stamp from (Unix seconds)")
        c.add_argument("--until", type=uint, help="stamp before (Unix seconds)")
    q.add_argument("--status", choices=["verified", "duplicate", "rejected"])
    q.add_argument("--limit", type=posint, default=100)
    f = command(cmds, "follow", "print newly verified readings as they arrive", follow, common)
    f.add_argument("--device")
    f.add_argument("--token")
    f.add_argument("--count", type=posint, help="stop after this many readings")
    p = command(cmds, "plot", "PNG chart of verified readings", plot, common)
    p.add_argument("--device")
    p.add_argument("--token")
    p.add_argument("--since", type=uint)
    p.add_argument("--until", type=uint)
    p.add_argument("--channel", type=uint, help="also plot this sensor channel (payload readings key)")
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
