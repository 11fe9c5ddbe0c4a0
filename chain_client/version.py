"""The installed version, and the ``--version`` flag every console script carries."""

from __future__ import annotations

import argparse
from importlib import metadata

DISTRIBUTION = "leasechain"


def version() -> str:
    """The installed ``leasechain`` distribution's version (``unknown`` from an uninstalled source tree)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def add_flag(parser: argparse.ArgumentParser, extra: str = "") -> None:
    """``--version``: prints ``<prog> <version>`` (and ``extra``) and exits."""
    text = f"%(prog)s {version()}" + (f" ({extra})" if extra else "")
    parser.add_argument("--version", action="version", version=text)
