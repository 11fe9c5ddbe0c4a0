"""``leasechain telemetry``: query readings, follow them live (SSE), plot a device's verified readings."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from chain_client import human
from chain_client.cli.context import Context
from chain_client.cli.errors import CliError
from chain_client.cli.registry import command, group
from chain_client.cli.values import posint, uint, when
from chain_client.client.errors import UnreachableError
from chain_client.client.models import TelemetryReading
from chain_client.errors import LeaseChainError
from chain_client.message import verify
from chain_client.payload import SENSORS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLUMNS = ["batch", "position", "device", "token", "boot", "seq", "stamp", "status", "run", "readings"]
MAX_ROWS = 10_000
MAX_PAGE = 1000  # rows the ledger serves per page of a list
SECONDS_PER_DAY = 86_400


def query(ctx: Context) -> int:
    """Stored readings by device, token, stamp range and verdict: ``--limit`` of them, or ``--all``.

    The ledger serves a list a page at a time; the pages are followed by their cursor, so a limit
    over one page (or ``--all``) reads on until it is reached.
    """
    a = ctx.args
    wanted = None if a.all else a.limit
    page = MAX_PAGE if wanted is None else min(wanted, MAX_PAGE)
    with ctx.client() as client:
        found = client.iter_telemetry(
            page_size=page, device=a.device, token=a.token, since=a.since, until=a.until, status=a.status
        )
        rows = list(islice(found, wanted))
    if ctx.json:
        ctx.emit(rows)
        return 0
    ctx.rows([_row(r) for r in rows], COLUMNS)
    return 0


def _row(row: TelemetryReading) -> dict[str, object]:
    """A reading for people: stamp in ISO 8601, run time in machine-hours, values in their units."""
    status = f"{row.status} ({row.reason})" if row.reason else row.status
    return {
        **row.model_dump(include={"batch", "position", "device", "token", "boot", "seq"}),
        "stamp": human.when(row.stamp),
        "status": status,
        "run": human.machine_hours(row.run_seconds),
        "readings": human.readings(row.readings),
    }


def _line(row: TelemetryReading) -> str:
    return (
        f"{row.batch}/{row.position} {human.when(row.stamp)} device {row.device} ({row.token}) "
        f"boot {row.boot} seq {row.seq}, run {human.machine_hours(row.run_seconds)}: "
        f"{human.readings(row.readings)}"
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
    if a.channel is not None and a.channel not in SENSORS:
        raise CliError(f"--channel {a.channel} is no known sensor channel; known: {human.channels()}")
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    with ctx.client() as client:
        rows = client.telemetry(
            device=a.device, token=a.token, since=a.since, until=a.until, status="verified", limit=MAX_ROWS
        )
        keys = {b.device: bytes.fromhex(b.public_key) for b in client.devices().devices}
        subject = a.device or a.token
        if a.token and rows:
            subject = f"{client.token(a.token).serial} ({a.token})"  # people know machines by serial
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
    fig, plotted = figure(good, a.channel, f"verified readings of {subject} ({len(good)})")
    out = Path(a.output)
    try:
        fig.savefig(out, format="png")
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc}", code=1) from None
    finally:
        plt.close(fig)
    data: dict[str, object] = {"output": str(out), "readings": len(good), "skipped": len(rows) - len(good)}
    said = f"wrote {out}: {len(good)} verified readings ({len(rows) - len(good)} skipped)"
    if a.channel is not None:
        label = human.channel_label(a.channel)
        data.update({"channel": a.channel, "axis": label, "channel_values": plotted})
        said += f", {plotted} values of {label}"
    ctx.emit(data, said)
    return 0


def figure(good: list[TelemetryReading], channel: int | None, title: str) -> tuple[Figure, int]:
    """The chart: machine-hours over time, and ``channel`` in its unit on a second axis.

    Returns the figure and how many values of the channel it plots.
    """
    import matplotlib.pyplot as plt

    # Matplotlib's date numbers are days since its epoch, 1970-01-01 UTC.
    times = [r.stamp / SECONDS_PER_DAY for r in good]
    fig, first = plt.subplots(figsize=(9, 4.5), dpi=100)
    first.step(
        times, [r.run_seconds / 3600 for r in good], where="post", color="tab:blue", label="machine-hours"
    )
    first.set_ylabel("run time (machine-hours)")
    first.set_xlabel("time (UTC)")
    first.xaxis_date(tz=UTC)
    shown: list[tuple[float, float]] = []
    if channel is not None:
        second = first.twinx()
        scale = SENSORS[channel].scale
        for t, r in zip(times, good, strict=True):
            raw = r.readings.get(str(channel))
            if raw is not None:
                shown.append((t, raw / scale))
        label = human.channel_label(channel)
        second.plot([t for t, _ in shown], [v for _, v in shown], ".", color="tab:orange", label=label)
        second.set_ylabel(label)
    first.set_title(title)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig, len(shown)


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``telemetry`` and its subcommands."""
    cmds = group(sub, "telemetry", "anchored device readings")
    q = command(cmds, "query", "stored readings", query, common)
    for c in (q,):
        c.add_argument("--device", help="device id (32 hex digits)")
        c.add_argument("--token")
        c.add_argument("--since", type=when, help="stamp from (ISO 8601, Unix seconds, or -SECONDS ago)")
        c.add_argument("--until", type=when, help="stamp before (ISO 8601, Unix seconds, or -SECONDS ago)")
    q.add_argument("--status", choices=["verified", "duplicate", "rejected"])
    size = q.add_mutually_exclusive_group()
    size.add_argument("--limit", type=posint, default=100, help="at most this many readings (default 100)")
    size.add_argument("--all", action="store_true", help="every matching reading, page by page")
    f = command(cmds, "follow", "print newly verified readings as they arrive", follow, common)
    f.add_argument("--device")
    f.add_argument("--token")
    f.add_argument("--count", type=posint, help="stop after this many readings")
    p = command(cmds, "plot", "PNG chart of verified readings", plot, common)
    p.add_argument("--device")
    p.add_argument("--token")
    p.add_argument("--since", type=when, help="from (ISO 8601, Unix seconds, or -SECONDS ago)")
    p.add_argument("--until", type=when, help="before (ISO 8601, Unix seconds, or -SECONDS ago)")
    p.add_argument(
        "--channel",
        type=uint,
        metavar="N",
        # argparse formats help with %: the %RH of humidity must be escaped
        help=f"also plot this sensor channel, in its unit: {human.channels()}".replace("%", "%%"),
    )
    p.add_argument("-o", "--output", required=True, help="PNG file to write")
