"""The command table: each group module adds its subcommands through :func:`command`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from chain_client.cli.context import Context

Run = Callable[[Context], int]


def group(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """A command group (``leasechain token ...``) and its subcommand table."""
    parser = sub.add_parser(name, help=help_text, description=help_text)
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    run: Run,
    common: argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    """A subcommand running ``run``; it accepts the common options too."""
    parser = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
    parser.set_defaults(run=run)
    return parser
