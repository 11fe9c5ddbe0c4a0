"""``leasechain-explorer``: serve the explorer of one ledger."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import uvicorn

from chain_client.tlog.errors import NoteError
from chain_client.tlog.note import parse_vkey
from chain_client.version import add_flag as add_version_flag

DEFAULT_LEDGER = "http://127.0.0.1:8080"


def _page_size(text: str) -> int:
    """An ``--api-page`` value: 1..1000, the rows the ledger serves at most per request."""
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a number of rows in 1..1000")
    return int(text)


def parser() -> argparse.ArgumentParser:
    """The command line of ``leasechain-explorer``."""
    p = argparse.ArgumentParser(
        prog="leasechain-explorer",
        description="Serve the ledger explorer: every page rendered from the ledger's HTTP API.",
    )
    add_version_flag(p)
    p.add_argument(
        "--ledger",
        default=os.environ.get("LEASECHAIN_URL", DEFAULT_LEDGER),
        help=f"the ledger backend's URL (default $LEASECHAIN_URL or {DEFAULT_LEDGER})",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8090, help="port to listen on (default 8090)")
    p.add_argument(
        "--witness",
        action="append",
        default=[],
        metavar="VKEY",
        help="a witness's note verifier key: the page checks its cosignature on the checkpoint (repeatable)",
    )
    p.add_argument(
        "--api-page",
        type=_page_size,
        default=1000,
        metavar="N",
        help="rows per API request when exporting a list (1-1000, default 1000)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``leasechain-explorer``."""
    args = parser().parse_args(argv)
    if not 0 < args.port < 65536:
        print(f"leasechain-explorer: --port {args.port} is outside 1..65535", file=sys.stderr)
        return 2
    try:
        from explorer.app import create_app  # here: the optional Jinja2 may be missing
    except ImportError as exc:
        print(
            f"leasechain-explorer: {exc}; install it with: pip install 'leasechain[explorer]'",
            file=sys.stderr,
        )
        return 1
    print(f"leasechain-explorer: http://{args.host}:{args.port}/ explores {args.ledger}", flush=True)
    try:
        for vkey in args.witness:
            parse_vkey(vkey)
    except NoteError as exc:
        print(f"leasechain-explorer: --witness: {exc}", file=sys.stderr)
        return 2
    app = create_app(args.ledger, api_page=args.api_page, witnesses=args.witness)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
