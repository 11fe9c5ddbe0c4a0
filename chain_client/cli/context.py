"""What every command needs: the backend URL, the keystore and key, and the output mode.

Options may be given before or after the subcommand; environment defaults:
``LEASECHAIN_URL``, ``LEASECHAIN_KEY``, ``LEASECHAIN_KEYSTORE``, ``LEASECHAIN_PASSPHRASE``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from nacl.signing import SigningKey

from chain_client.cli import output
from chain_client.cli.errors import CliError
from chain_client.cli.human import View
from chain_client.cli.values import ACCOUNT_PREFIX_RE, ACCOUNT_RE
from chain_client.client import KeystoreError, LedgerClient, TxResult
from chain_client.client.keystore import Keystore, passphrase
from chain_client.plain import plain as jsonable

DEFAULT_URL = "http://127.0.0.1:8080"
URL_ENV = "LEASECHAIN_URL"
KEY_ENV = "LEASECHAIN_KEY"


class Context:
    """The parsed command line and the resources it names, opened on demand."""

    def __init__(self, args: argparse.Namespace, out: TextIO | None = None) -> None:
        self.args = args
        self.out = out or sys.stdout
        self.json: bool = bool(getattr(args, "json", False))
        self.url: str = getattr(args, "url", None) or os.environ.get(URL_ENV) or DEFAULT_URL
        self.keystore = Keystore(getattr(args, "keystore", None))
        self.key_name: str | None = getattr(args, "key", None) or os.environ.get(KEY_ENV)
        self._clients: list[LedgerClient] = []
        self.view = View(self.client, self.keystore)

    def signing_key(self) -> SigningKey:
        """The key named by ``--key``, unlocked with the passphrase."""
        if not self.key_name:
            raise CliError(f"this command signs a transaction: give --key NAME (or set {KEY_ENV})")
        self.keystore.info(self.key_name)  # an unknown name fails before asking for a passphrase
        return self.keystore.unlock(
            self.key_name, passphrase(prompt=f"Passphrase of key {self.key_name!r}: ")
        )

    def client(self, *, signing: bool = False) -> LedgerClient:
        """A client of the backend, with the signing key when the command acts."""
        made = LedgerClient(self.url, self.signing_key() if signing else None)
        self._clients.append(made)
        return made

    def close(self) -> None:
        """Close every client opened."""
        for made in self._clients:
            made.close()

    def account(self, value: str) -> str:
        """An account id: 64 hex digits, the name of a key in the keystore, or the short form
        (``9cc3a1b2…``, any prefix of at least 8 hex digits) of exactly one known account."""
        if ACCOUNT_RE.fullmatch(value):
            return value
        try:
            return self.keystore.info(value).account
        except KeystoreError:
            pass
        prefix = ACCOUNT_PREFIX_RE.fullmatch(value)
        if prefix is not None:
            found = sorted(a for a in self.view.parties if a.startswith(prefix.group(1)))
            if len(found) == 1:
                return found[0]
            if found:
                raise CliError(f"{value!r} is the start of {len(found)} accounts: give more digits")
        raise CliError(
            f"{value!r} is neither an account id (64 lowercase hex digits), a key in "
            f"{self.keystore.path}, nor the start of a known account's id"
        )

    def own_account(self) -> str:
        """The account of ``--key`` (no passphrase needed)."""
        if not self.key_name:
            raise CliError(f"give an account, or --key NAME (or set {KEY_ENV}) for your own")
        return self.keystore.info(self.key_name).account

    # -- output ----------------------------------------------------------------

    def emit(self, data: Any, human: str | None = None) -> None:  # noqa: ANN401 - any JSON-able value
        """Print ``data`` as JSON with ``--json``, else ``human`` (or a key/value block of ``data``)."""
        if self.json:
            print(output.dumps(data), file=self.out)
        elif human is not None:
            print(human, file=self.out)
        else:
            plain = jsonable(data)
            if isinstance(plain, Mapping):
                output.block(plain, self.out)
            else:
                print(plain, file=self.out)

    def rows(self, rows: Sequence[Any], columns: Sequence[str]) -> None:
        """Print records as a table, or a JSON list with ``--json``."""
        plain = [jsonable(r) for r in rows]
        if self.json:
            print(output.dumps(plain), file=self.out)
        else:
            output.table(plain, columns, self.out)

    def record(self, data: Any, keys: Sequence[str] | None = None) -> None:  # noqa: ANN401 - a model or map
        """Print one record as ``key: value`` lines, or JSON."""
        plain = jsonable(data)
        if self.json:
            print(output.dumps(plain), file=self.out)
        else:
            output.block(plain, self.out, keys)

    def done(self, result: TxResult, what: str | Callable[[View], str] = "") -> int:
        """Report an accepted (or duplicate) transaction; ``what`` may need the view (names, money)."""
        if self.json:
            self.emit(result)
            return 0
        said = what(self.view) if callable(what) else what
        extra = f": {said}" if said else ""
        print(f"{result.status} {result.type} {result.id} at log index {result.index}{extra}", file=self.out)
        return 0

    def progress(self, label: str) -> output.Progress:
        """A progress reporter for long work (silent unless stdout is a terminal)."""
        return output.Progress(label, enabled=not self.json)
