"""Exceptions of the CLI and the exit codes every error maps to (docs/cli.md, 'Exit codes')."""

from __future__ import annotations

from chain_client.errors import LeaseChainError

OK = 0
FAILED = 1  # the ledger refused, or the thing asked for does not exist
USAGE = 2  # a malformed command line or argument value
KEYSTORE = 3  # unknown key, wrong passphrase, unreadable keystore
UNREACHABLE = 4  # no backend, or it answered something unreadable
NOT_VERIFIED = 5  # a proof, bundle or monitor check failed
UNPINNED = 6  # a bundle is consistent in itself, but no trusted log key was given to check it against
SPLIT_VIEW = 7  # the log monitor holds two signed views of the log that cannot both be true


class CliError(LeaseChainError):
    """A command cannot run as asked; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code
