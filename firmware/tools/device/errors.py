"""The failures ``leasechain-device`` reports, each with its own exit status.

Every error here is "not our bug": something about the port, the board, the
network or the ledger that the technician can fix.  The CLI prints the
message and exits with ``exit_code``; docs/technician.md lists the codes.
"""

from __future__ import annotations


class DeviceToolError(Exception):
    """Base class: a clear message and the process exit status that goes with it."""

    exit_code = 1
    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = {}  # extra fields for the --json error output


class NoPortError(DeviceToolError):
    """No serial port was given, or it cannot be opened."""

    exit_code = 3
    kind = "no_port"


class BoardError(DeviceToolError):
    """The port opened but no MicroPython REPL answered as expected."""

    exit_code = 4
    kind = "board"


def last_line(text: str) -> str:
    """The last non-empty line of a traceback: the exception and its message."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else text.strip()


class BoardExecError(BoardError):
    """Code run on the board raised; ``output`` is the board's traceback."""

    def __init__(self, port: str, output: str) -> None:
        super().__init__(f"the board on {port!r} raised: {last_line(output)}")
        self.output = output


class FirmwareError(DeviceToolError):
    """The board has no Lease Chain firmware, or another version than this tool deploys."""

    exit_code = 5
    kind = "firmware"


class ClockNotSetError(DeviceToolError):
    """The board's clock is unset or far from the host's."""

    exit_code = 6
    kind = "clock"


class BrokerUnreachableError(DeviceToolError):
    """The MQTT broker does not accept a connection."""

    exit_code = 7
    kind = "broker"


class TokenNotFoundError(DeviceToolError):
    """The ledger has no equipment token with the given id."""

    exit_code = 8
    kind = "token_not_found"


class ConfigError(DeviceToolError):
    """The board configuration given is not valid."""

    exit_code = 9
    kind = "config"


class VerificationError(DeviceToolError):
    """The board's proof of key possession, or a reading, does not verify."""

    exit_code = 10
    kind = "verification"


class LedgerError(DeviceToolError):
    """The ledger refused the enrolment, or cannot be reached."""

    exit_code = 11
    kind = "ledger"


class WifiError(DeviceToolError):
    """The board cannot join the configured Wi-Fi network."""

    exit_code = 12
    kind = "wifi"


class DependencyError(DeviceToolError):
    """A mip dependency of the firmware cannot be resolved or downloaded."""

    exit_code = 13
    kind = "dependency"


class NoReadingError(DeviceToolError):
    """No verified reading arrived within the time asked for."""

    exit_code = 14
    kind = "no_reading"


class OwnerKeyError(DeviceToolError):
    """The token owner's signing key cannot be loaded from the keystore."""

    exit_code = 15
    kind = "key"
