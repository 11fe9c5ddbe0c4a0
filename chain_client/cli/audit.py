"""``leasechain audit``: export an invoice's evidence bundle, verify a bundle offline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chain_client.audit import export_bundle, load, save, verify_bundle
from chain_client.cli.context import Context
from chain_client.cli.errors import NOT_VERIFIED, UNPINNED
from chain_client.cli.registry import command, group
from chain_client.cli.values import uint


def export(ctx: Context) -> int:
    """Collect the evidence of one invoice into a bundle file."""
    out = Path(ctx.args.output)
    with ctx.client() as client:
        bundle = export_bundle(
            client, ctx.args.lease, ctx.args.period, progress=ctx.progress("reading the log")
        )
    save(bundle, out)
    ctx.emit(
        {"output": str(out), "entries": len(bundle.entries), "readings": len(bundle.readings)},
        f"wrote {out}: {len(bundle.entries)} log entries, {len(bundle.readings)} readings, "
        f"tree size {bundle.tree_head['tree_size']}",
    )
    return 0


UNPINNED_NOTE = (
    "only the bundle's internal consistency was checked, not that the log is the operator's: "
    "a bundle signed with any key passes this far; give --log-key with the operator's published key"
)


def verdict(ok: bool, pinned: bool) -> tuple[int, str]:
    """Exit status and last line of ``audit verify`` (docs/cli.md, 'Exit codes')."""
    if not ok:
        return NOT_VERIFIED, "bundle NOT verified"
    if not pinned:
        return UNPINNED, f"bundle consistent, NOT verified against a trusted log key: {UNPINNED_NOTE}"
    return 0, "bundle verified"


def verify(ctx: Context) -> int:
    """Check a bundle with no network; exit 5 naming each failed check, 6 without --log-key."""
    report = verify_bundle(load(Path(ctx.args.bundle)), ctx.args.log_key)
    code, last = verdict(report.ok, ctx.args.log_key is not None)
    if ctx.json:
        ctx.emit({**report.to_json(), "log_key_checked": ctx.args.log_key is not None, "verdict": last})
        if code == UNPINNED:
            print(f"leasechain: warning: {UNPINNED_NOTE}", file=sys.stderr)
        return code
    for name, count in report.passed.items():
        failed = len(report.failed(name))
        mark = "FAIL" if failed else "ok"
        print(f"{mark:4}  {name:22} {count} passed, {failed} failed", file=ctx.out)
    for failure in report.failures:
        print(f"FAILED {failure}", file=ctx.out)
    s = report.summary
    if "amount" in s:
        print(
            f"invoice {s.get('invoice')}: {s.get('usage_seconds')} run-seconds, "
            f"amount {s.get('amount')}, {s.get('verified', 0)} verified readings, "
            f"evidence {s.get('evidence_count', 0)} readings {str(s.get('evidence', ''))[:16]}…",
            file=ctx.out,
        )
    print(last, file=ctx.out)
    return code


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``audit`` and its subcommands."""
    cmds = group(sub, "audit", "evidence bundles: export from the ledger, verify offline")
    e = command(cmds, "export", "write the evidence bundle of one invoice", export, common)
    e.add_argument("--lease", required=True)
    e.add_argument("--period", type=uint, required=True, help="period index, from 0")
    e.add_argument("-o", "--output", required=True, help="bundle file to write (JSON)")
    v = command(cmds, "verify", "check a bundle offline", verify, common)
    v.add_argument("bundle")
    v.add_argument(
        "--log-key",
        help="the log key you trust, in hex; without it only internal consistency is checked (exit 6)",
    )
