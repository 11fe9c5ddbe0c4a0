"""Running ``leasechain`` commands in-process against a real backend, with a keystore of the test's own."""

from __future__ import annotations

import contextlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain_client.cli.main import main

PASSPHRASE = "test passphrase"


@dataclass(frozen=True)
class Result:
    """Exit status and the two output streams of one command."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """``leasechain`` with ``--url`` and the keystore preset; the passphrase comes from the environment."""

    def __init__(self, url: str, keystore: Path) -> None:
        self.url = url
        self.keystore = keystore

    def run(self, *args: str, key: str | None = None, passphrase: str = PASSPHRASE) -> Result:
        argv = list(args)
        if "--url" not in argv:  # a test may point a command elsewhere, or nowhere
            argv += ["--url", self.url]
        argv += ["--keystore", str(self.keystore)]
        if key is not None:
            argv += ["--key", key]
        out, err = io.StringIO(), io.StringIO()
        saved = os.environ.get("LEASECHAIN_PASSPHRASE")
        os.environ["LEASECHAIN_PASSPHRASE"] = passphrase
        try:
            with contextlib.redirect_stderr(err):
                try:
                    code = main(argv, out=out)
                except SystemExit as exc:  # argparse refusing the command line
                    code = int(exc.code or 0)
        finally:
            if saved is None:
                del os.environ["LEASECHAIN_PASSPHRASE"]
            else:
                os.environ["LEASECHAIN_PASSPHRASE"] = saved
        return Result(code, out.getvalue(), err.getvalue())

    def ok(self, *args: str, key: str | None = None) -> Any:
        """Run with ``--json``, check it succeeded, return the parsed output."""
        result = self.run(*args, "--json", key=key)
        assert result.code == 0, (args, result)
        return result.json()
