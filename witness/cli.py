"""``leasechain-witness``: create a witness identity, print its vkey, serve add-checkpoint."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from chain_client.errors import LeaseChainError
from chain_client.tlog import cosigner, parse_vkey
from chain_client.tlog.note import ED25519, VerifierKey
from witness import keys
from witness.errors import WitnessError

VIEWS_DIR = "views"


def _log_key(text: str) -> VerifierKey:
    try:
        key = parse_vkey(text)
    except LeaseChainError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if key.kind != ED25519:
        raise argparse.ArgumentTypeError(f"log vkey {text[:40]!r} is not an Ed25519 note key (type 0x01)")
    return key


def read_logs(path: str) -> list[VerifierKey]:
    """The log vkeys in a file, one a line (``#`` starts a comment)."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read(64 * 1024 + 1)
    except (OSError, UnicodeDecodeError) as exc:
        raise WitnessError(f"logs file {path}: {exc}") from None
    if len(text) > 64 * 1024:
        raise WitnessError(f"logs file {path} is over 64 KiB")
    keys = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if line:
            try:
                keys.append(_log_key(line))
            except argparse.ArgumentTypeError as exc:
                raise WitnessError(f"logs file {path}, line {number}: {exc}") from None
    return keys


def init(args: argparse.Namespace) -> int:
    """Create the identity in ``--data-dir`` and print its vkey."""
    vkey = keys.create(Path(args.data_dir), args.name)
    print(json.dumps({"name": vkey.name, "vkey": vkey.vkey()}))
    return 0


def vkey(args: argparse.Namespace) -> int:
    """Print the witness's vkey."""
    name, key = keys.load(Path(args.data_dir))
    print(cosigner(name, bytes(key.verify_key)).vkey())
    return 0


def serve(args: argparse.Namespace) -> int:
    """Serve the witness until SIGTERM or SIGINT."""
    import uvicorn

    from witness.server import create_app
    from witness.service import Witness
    from witness.state import Views

    data_dir = Path(args.data_dir)
    name, key = keys.load(data_dir)
    logs = args.log + (read_logs(args.logs) if args.logs else [])
    if not logs:
        raise WitnessError("no log to witness: give --log <log vkey> (its key name is the log's origin)")
    witness = Witness(name, key, logs, Views(data_dir / VIEWS_DIR))
    print(
        json.dumps(
            {
                "listening": f"http://{args.host}:{args.port}",
                "vkey": witness.vkey.vkey(),
                "logs": sorted(witness.logs),
            }
        ),
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        create_app(witness, args.read_timeout),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        limit_concurrency=args.max_connections,
        timeout_keep_alive=5,
    )
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    top = argparse.ArgumentParser(prog="leasechain-witness", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    data_help = "directory of the witness key, name and views (env LEASECHAIN_WITNESS_DIR)"
    default_dir = os.environ.get("LEASECHAIN_WITNESS_DIR", "leasechain-witness")
    for name, helptext in (
        ("init", "create the witness's key and name; print its vkey"),
        ("vkey", "print the witness's vkey"),
        ("serve", "serve add-checkpoint over HTTP"),
    ):
        sub.add_parser(name, help=helptext).add_argument("--data-dir", default=default_dir, help=data_help)
    sub.choices["init"].add_argument(
        "--name", required=True, help="cosigner name: a schema-less URL you control (witness.example.org/w1)"
    )
    cmd = sub.choices["serve"]
    cmd.add_argument("--log", action="append", type=_log_key, default=[], help="a log's vkey (repeat)")
    cmd.add_argument(
        "--logs", help="a file of log vkeys, one a line ('#' comments), beside or instead of --log"
    )
    cmd.add_argument("--host", default="127.0.0.1")
    cmd.add_argument("--port", type=int, default=7380)
    cmd.add_argument("--max-connections", type=int, default=64, help="connections served at once")
    cmd.add_argument("--read-timeout", type=float, default=10.0, help="seconds a request body may take")
    cmd.add_argument("--log-level", default="warning")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``leasechain-witness``."""
    args = parser().parse_args(argv)
    try:
        return {"init": init, "vkey": vkey, "serve": serve}[args.command](args)
    except (WitnessError, LeaseChainError, OSError) as exc:
        print(f"leasechain-witness: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
