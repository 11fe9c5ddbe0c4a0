"""Exceptions raised by the gateway.

Everything here is a "not our bug" failure (bad config, unreachable backend,
a store that cannot be opened) that the CLI turns into a clear message and an
exit code.  Bad *messages* are not exceptions at this level: they become
quarantine rows with a :class:`chain_client.reasons.Reason`.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base class of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """The configuration file or a secret it names is missing or invalid.

    ``problems`` lists one line per mistake, each naming the key, the value
    found and what was expected.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")
        self.source = source
        self.problems = problems


class RegistryError(GatewayError):
    """The device registry could not be loaded or synced."""


class StoreError(GatewayError):
    """The SQLite store could not be opened or has an unexpected layout."""


class SubmitError(GatewayError):
    """A batch could not be submitted to the ledger backend.

    ``retry`` says whether the same request may succeed later (backend down,
    timeout, 5xx) or will fail again until something is changed (4xx).
    """

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry
