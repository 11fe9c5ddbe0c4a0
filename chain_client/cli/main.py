"""``leasechain``: act on the ledger and check it, from the shell (a thin wrapper over the SDK)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from chain_client.audit.errors import AuditError
from chain_client.cli import (
    account,
    audit,
    chain,
    enterprise,
    keys,
    lease,
    log,
    market,
    rent,
    shares,
    telemetry,
    token,
    verify,
)
from chain_client.cli.context import DEFAULT_URL, Context
from chain_client.cli.errors import FAILED, KEYSTORE, NOT_VERIFIED, UNREACHABLE, USAGE, CliError
from chain_client.cli.output import dumps
from chain_client.client.errors import (
    BadResponseError,
    ClientError,
    KeystoreError,
    LedgerHTTPError,
    RejectedError,
    UnreachableError,
)
from chain_client.errors import LeaseChainError, MerkleError
from chain_client.ledger.errors import TransactionError, TreeHeadError
from chain_client.version import add_flag as add_version_flag

GROUPS = (keys, enterprise, token, shares, lease, rent, market, account, telemetry, log, verify, audit, chain)


def common_options() -> argparse.ArgumentParser:
    """Options every command takes, before or after the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    s = argparse.SUPPRESS
    common.add_argument("--url", default=s, help=f"backend URL (env LEASECHAIN_URL, default {DEFAULT_URL})")
    common.add_argument("--key", default=s, help="key name in the keystore that signs (env LEASECHAIN_KEY)")
    common.add_argument("--keystore", default=s, help="keystore file (env LEASECHAIN_KEYSTORE)")
    common.add_argument("--json", action="store_true", default=s, help="print JSON for scripts")
    return common


def parser() -> argparse.ArgumentParser:
    """The whole command line."""
    common = common_options()
    top = argparse.ArgumentParser(
        prog="leasechain",
        description="Act on the Lease Chain ledger and check it (docs/cli.md).",
        parents=[common],
    )
    add_version_flag(top)
    sub = top.add_subparsers(dest="group", required=True, metavar="COMMAND")
    for module in GROUPS:
        module.register(sub, common)
    return top


def _failure(exc: Exception) -> tuple[int, dict[str, object]]:
    if isinstance(exc, RejectedError):
        return FAILED, {"kind": "rejected", "reason": exc.reason, "status": exc.status, "detail": exc.detail}
    if isinstance(exc, LedgerHTTPError):
        return FAILED, {"kind": "http", "reason": exc.reason, "status": exc.status, "detail": exc.detail}
    if isinstance(exc, KeystoreError):
        return KEYSTORE, {"kind": "keystore", "detail": str(exc)}
    if isinstance(exc, UnreachableError | BadResponseError):
        return UNREACHABLE, {"kind": "backend", "detail": str(exc)}
    if isinstance(exc, TransactionError):
        return USAGE, {"kind": "bad_args", "reason": exc.reason.value, "detail": exc.detail}
    if isinstance(exc, MerkleError | TreeHeadError):
        return NOT_VERIFIED, {"kind": "not_verified", "detail": str(exc)}
    if isinstance(exc, CliError):
        return exc.code, {"kind": "usage" if exc.code == USAGE else "failed", "detail": str(exc)}
    if isinstance(exc, argparse.ArgumentTypeError):
        return USAGE, {"kind": "usage", "detail": str(exc)}
    if isinstance(exc, AuditError | ClientError):
        return FAILED, {"kind": "failed", "detail": str(exc)}
    if isinstance(exc, LeaseChainError):
        return NOT_VERIFIED, {"kind": "not_verified", "detail": str(exc)}
    raise exc


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run one command; return its exit status (docs/cli.md, 'Exit codes')."""
    args = parser().parse_args(argv)
    ctx = Context(args, out)
    try:
        return int(args.run(ctx))
    except (LeaseChainError, argparse.ArgumentTypeError) as exc:
        code, info = _failure(exc)
        print(f"leasechain: error: {info['detail'] if 'reason' not in info else exc}", file=sys.stderr)
        if ctx.json:
            print(dumps({"error": info}), file=ctx.out)
        return code
    except KeyboardInterrupt:
        return 130
    finally:
        ctx.close()


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
