"""``leasechain-backend``: serve the ledger over HTTP, or replay its log and print the state digest."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from backend.errors import BackendError
from backend.keys import load_or_create
from backend.ledger import Ledger
from backend.storage import Storage

DEFAULT_DATA_DIR = "leasechain-data"


def _storage(args: argparse.Namespace) -> Storage:
    data_dir = Path(args.data_dir)
    if args.db:
        return Storage(args.db, schema=args.db_schema)
    data_dir.mkdir(parents=True, exist_ok=True)
    return Storage(f"sqlite:///{data_dir / 'ledger.sqlite3'}")


def serve(args: argparse.Namespace) -> int:
    """Start the ledger (genesis on an empty log) and serve the HTTP API until stopped."""
    import uvicorn

    from backend.api import create_app

    key_path = Path(args.key) if args.key else Path(args.data_dir) / "operator.key"
    ledger = Ledger(_storage(args), load_or_create(key_path), verify_workers=args.verify_workers)
    ledger.start(args.name, args.currency)
    print(
        json.dumps({"listening": f"http://{args.host}:{args.port}", "log_key": ledger.state.operator}),
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(
        create_app(ledger), host=args.host, port=args.port, log_level=args.log_level, access_log=False
    )
    try:
        uvicorn.Server(config).run()
    finally:
        ledger.close()
    return 0


def replay(args: argparse.Namespace) -> int:
    """Rebuild the state from the stored log alone and print its size, root and digest as JSON."""
    ledger = Ledger(_storage(args), None, verify_workers=args.verify_workers)
    started = time.perf_counter()
    try:
        ledger.open()
        report = {
            "tree_size": ledger.size,
            "root_hash": ledger.tree.root().hex(),
            "state_digest": ledger.digest().hex(),
            "seconds": round(time.perf_counter() - started, 3),
        }
    finally:
        ledger.close()
    print(json.dumps(report))
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    top = argparse.ArgumentParser(prog="leasechain-backend", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("serve", "serve the ledger over HTTP"),
        ("replay", "rebuild the state from the log and print its digest"),
    ):
        cmd = sub.add_parser(name, help=helptext)
        cmd.add_argument(
            "--data-dir",
            default=os.environ.get("LEASECHAIN_DATA_DIR", DEFAULT_DATA_DIR),
            help="directory of the embedded SQLite database and the operator key (env LEASECHAIN_DATA_DIR)",
        )
        cmd.add_argument(
            "--db", default=os.environ.get("LEASECHAIN_DB"), help="database URL instead, e.g. postgresql://…"
        )
        cmd.add_argument("--db-schema", default=None, help="PostgreSQL schema to use (created if missing)")
        cmd.add_argument(
            "--verify-workers", type=int, default=2, help="threads re-verifying device signatures"
        )
    serve_cmd = sub.choices["serve"]
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8080)
    serve_cmd.add_argument("--key", default=None, help="operator key file (default: DATA_DIR/operator.key)")
    serve_cmd.add_argument("--name", default="Lease Chain", help="platform name written in the genesis")
    serve_cmd.add_argument("--currency", default="EUR", help="currency of every amount, in minor units")
    serve_cmd.add_argument("--log-level", default="warning")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``leasechain-backend``."""
    args = parser().parse_args(argv)
    try:
        return serve(args) if args.command == "serve" else replay(args)
    except BackendError as exc:
        print(f"leasechain-backend: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
