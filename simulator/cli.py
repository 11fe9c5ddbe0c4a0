"""``leasechain-sim``: run a fleet scenario against a site, or play the whole demo.

Library first: the work is in runner.py and demo.py; these are thin wrappers.
Exit status: 0 when the scenario's expectations hold, 1 when one fails,
2 for a usage or environment error (bad scenario, unreachable service).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from nacl.signing import SigningKey

from chain_client import LeaseChainError
from chain_client.version import add_flag as add_version_flag
from simulator import scenario as scenarios
from simulator.errors import SimError
from simulator.fleet import tty_progress
from simulator.runner import Target, run
from simulator.summary import render


def _broker(text: str) -> tuple[str, int]:
    parts = urlsplit(text)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise argparse.ArgumentTypeError(f"broker {text!r}: expected mqtt://HOST:PORT")
    try:
        return parts.hostname, parts.port or 1883
    except ValueError:
        raise argparse.ArgumentTypeError(f"broker {text!r}: the port is not a number") from None


def _key(path: str) -> SigningKey:
    try:
        text = Path(path).read_text().strip()
        return SigningKey(bytes.fromhex(text))
    except (OSError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"key file {path!r}: expected 64 hex digits ({exc})") from None


def _say(json_mode: bool) -> Callable[[str], None]:
    def say(line: str) -> None:
        if not json_mode:
            print(line, file=sys.stderr)

    return say


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario and judge it."""
    scenario = scenarios.load(args.scenario).with_overrides(args.devices, args.rate, args.duration)
    target = Target(
        broker=args.broker,
        backend=args.backend,
        gateway_store=args.gateway_store,
        gateway_metrics=args.gateway_metrics,
        registry_wait=args.registry_wait,
        reviewer=args.reviewer_key,
        manufacturer=args.manufacturer_key,
    )
    progress = tty_progress if sys.stdout.isatty() and not args.json else None
    outcome = run(scenario, target, _say(args.json), progress)
    if progress is not None:
        print()
    if args.report is not None:
        args.report.write_text(json.dumps(outcome.report, indent=2) + "\n")
    print(json.dumps(outcome.report, indent=2) if args.json else render(outcome.report))
    return 0 if outcome.verdict.passed else 1


def cmd_check(args: argparse.Namespace) -> int:
    """Validate scenario files."""
    for path in args.scenarios:
        sc = scenarios.load(path)
        print(f"{path}: ok ({sc.name}: {sc.run.devices} devices, {len(sc.machines)} machine kinds)")
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    """Print the fleet's keys as a gateway registry file (for offline sites)."""
    from simulator import faults
    from simulator.device import signer_for

    sc = scenarios.load(args.scenario).with_overrides(args.devices, None, None)
    devices = []
    for index, plan in enumerate(faults.plan(sc)):
        if plan.role == faults.WRONG_KEY:
            continue
        state = "revoked" if plan.role == faults.REVOKED and not args.all_active else "active"
        devices.append({"public_key": signer_for(sc.run.seed, index).public_key.hex(), "state": state})
    print(json.dumps({"devices": devices}, indent=1))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """The whole Lease Chain story on this machine."""
    from simulator.demo import DemoOptions, run_demo

    options = DemoOptions(
        output=args.output,
        devices=args.devices,
        seconds=args.seconds,
        broker=args.broker_kind,
        json_output=args.json,
        keep=args.keep,
        chain=args.chain,
    )
    return run_demo(options)


def parser() -> argparse.ArgumentParser:
    """The argument parser."""
    p = argparse.ArgumentParser(prog="leasechain-sim", description=__doc__.split("\n")[0] if __doc__ else "")
    add_version_flag(p)
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a fleet scenario against a broker, gateway and ledger")
    r.add_argument("--scenario", type=Path, required=True, help="scenario TOML (configs/scenarios/)")
    r.add_argument("--broker", type=_broker, required=True, help="mqtt://HOST:PORT")
    r.add_argument("--devices", type=int, help="fleet size (overrides the scenario)")
    r.add_argument("--rate", type=float, help="readings per device per second (overrides)")
    r.add_argument("--duration", type=float, help="seconds of sampling (overrides)")
    r.add_argument("--backend", help="ledger URL: enrol the fleet and read what was anchored")
    r.add_argument("--gateway-store", type=Path, help="the gateway's gateway.sqlite3 (read-only)")
    r.add_argument("--gateway-metrics", help="the gateway's metrics URL, to wait for its registry")
    r.add_argument(
        "--registry-wait",
        type=float,
        metavar="SECONDS",
        help="how long to wait for the gateway to know the fleet (default: 120, or its sync interval + 30)",
    )
    r.add_argument("--reviewer-key", type=_key, help="file with a reviewer's seed (hex) to certify the fleet")
    r.add_argument("--manufacturer-key", type=_key, help="file with a certified manufacturer's seed (hex)")
    r.add_argument("--report", type=Path, help="write the JSON report here")
    r.add_argument("--json", action="store_true", help="print the JSON report instead of the summary")
    r.set_defaults(func=cmd_run)

    c = sub.add_parser("check", help="validate scenario files")
    c.add_argument("scenarios", type=Path, nargs="+")
    c.set_defaults(func=cmd_check)

    k = sub.add_parser("keys", help="print the fleet's public keys as a gateway registry file")
    k.add_argument("--scenario", type=Path, required=True)
    k.add_argument("--devices", type=int)
    k.add_argument("--all-active", action="store_true", help="list revoked devices as active too")
    k.set_defaults(func=cmd_keys)

    d = sub.add_parser("demo", help="start a ledger, a broker, a gateway and a fleet; play the whole story")
    d.add_argument("--output", type=Path, default=Path("leasechain-demo"), help="report directory")
    d.add_argument("--devices", type=int, default=24, help="virtual sensors (default 24)")
    d.add_argument("--seconds", type=float, default=30.0, help="seconds of streaming (default 30)")
    d.add_argument("--broker", dest="broker_kind", choices=["auto", "mosquitto", "amqtt"], default="auto")
    d.add_argument("--json", action="store_true", help="print the summary as JSON")
    d.add_argument(
        "--keep",
        action="store_true",
        help="keep the ledger and the explorer up after the story, until Ctrl-C",
    )
    d.add_argument(
        "--chain",
        action="store_true",
        help="also start anvil and the chain bridge: anchors and machine tokens on chain (docs/chain.md)",
    )
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except (SimError, LeaseChainError) as exc:
        print(f"leasechain-sim {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"leasechain-sim {args.command}: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
