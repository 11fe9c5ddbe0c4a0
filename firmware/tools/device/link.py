"""The serial link to a board: the raw REPL, spoken through mpremote's SerialTransport.

mpremote is MicroPython's own host tool; its transport enters the raw REPL
(with raw-paste mode where the board has it), runs code and returns the
board's output.  ``Board`` keeps that behind a small typed surface and turns
its failures into :mod:`errors` with a message that names the port.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
from collections.abc import Iterator
from typing import Any

from mpremote.transport import TransportError
from mpremote.transport_serial import SerialTransport

from firmware.tools.device import ports
from firmware.tools.device.errors import BoardError, BoardExecError, FirmwareError, NoPortError, last_line

PORT_ENV = "LEASECHAIN_PORT"
REPLY_PREFIX = b"LCP "
DEFAULT_BAUDRATE = 115200
READ_TIMEOUT_S = 2.0


def resolve_port(port: str | None) -> str:
    """The port to use: ``port`` if given, else ``$LEASECHAIN_PORT``; ``auto``: the only USB serial port."""
    chosen = port or os.environ.get(PORT_ENV, "")
    if not chosen:
        raise NoPortError(
            f"no serial port given: pass --port PORT (or --port auto) or set {PORT_ENV} (e.g. /dev/ttyUSB0); "
            "leasechain-device ports lists them"
        )
    if chosen == ports.AUTO:
        return ports.auto_port()
    if not chosen.startswith(("rfc2217://", "socket://")) and not os.path.exists(chosen):
        raise NoPortError(f"serial port {chosen!r} does not exist; is the board plugged in?")
    return chosen


class Board:
    """A board in the raw REPL; use as a context manager or call ``close()``."""

    def __init__(self, port: str, baudrate: int = DEFAULT_BAUDRATE, timeout: float = 10.0) -> None:
        self.port = port
        self.timeout = timeout
        quiet = io.StringIO()
        try:
            # mpremote prints what it read when it gives up; keep stdout clean for --json.
            with contextlib.redirect_stdout(quiet):
                # A read timeout on the port itself: mpremote reads a pseudo-terminal byte by byte
                # with blocking reads, which without one would wait forever on a silent line.
                self._transport = SerialTransport(port, baudrate=baudrate, timeout=READ_TIMEOUT_S)
        except TransportError as exc:
            raise NoPortError(f"cannot open serial port {port!r}: {exc}") from None
        except OSError as exc:
            hint = ports.busy_hint(port)
            raise NoPortError(f"cannot open serial port {port!r}: {exc.strerror or exc}{hint}") from None
        try:
            with contextlib.redirect_stdout(quiet):
                self._transport.enter_raw_repl(soft_reset=False, timeout_overall=timeout)
        except (TransportError, OSError) as exc:
            self._close_quietly()
            hint = ports.busy_hint(port) or (
                "; is it a board running MicroPython, and is no other program (a serial monitor, "
                "mpremote) holding the port?"
            )
            raise BoardError(f"no MicroPython REPL answers on {port!r} ({exc}){hint}") from None

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Leave the raw REPL and release the port."""
        with contextlib.suppress(TransportError, OSError):
            self._transport.exit_raw_repl()
        self._close_quietly()

    def _close_quietly(self) -> None:
        with contextlib.suppress(TransportError, OSError):
            self._transport.close()

    def exec(self, code: str, timeout: float | None = None) -> bytes:
        """Run ``code`` on the board; return its output; BoardError with the board's error line."""
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                self._transport.exec_raw_no_follow(code)
                out, err = self._transport.follow(timeout or self.timeout)
        except (TransportError, struct.error) as exc:
            # struct.error: mpremote read a short raw-paste header from a board that went quiet.
            raise BoardError(f"the board on {self.port!r} stopped answering: {exc}") from None
        except OSError as exc:
            raise BoardError(f"serial port {self.port!r} failed: {exc}") from None
        if err:
            raise BoardExecError(self.port, err.decode(errors="replace"))
        return bytes(out)

    def call(self, code: str, timeout: float | None = None) -> dict[str, Any]:
        """Run ``code`` that prints one ``LCP {json}`` reply line; return the parsed reply."""
        out = self.exec(code, timeout)
        for line in out.splitlines():
            if line.startswith(REPLY_PREFIX):
                try:
                    reply = json.loads(line[len(REPLY_PREFIX) :])
                except ValueError:
                    break
                if isinstance(reply, dict):
                    return reply
        raise BoardError(f"the board on {self.port!r} gave no reply to {code!r}: {out[-200:]!r}")

    def micropython_version(self) -> str:
        """The interpreter's version, e.g. ``1.24.1`` (works on stock MicroPython, no firmware needed)."""
        out = self.exec("import sys\nprint('.'.join(str(v) for v in sys.implementation.version[:3]))")
        return out.decode(errors="replace").strip()

    def firmware(self, function: str, *args: object, timeout: float | None = None) -> dict[str, Any]:
        """Call ``leasechain.provision.<function>(*args)`` on the board; FirmwareError if it is absent."""
        call = f"import leasechain.provision as _lcp\n_lcp.{function}({', '.join(map(repr, args))})"
        try:
            return self.call(call, timeout)
        except BoardExecError as exc:
            if "ImportError" in exc.output or "no module named" in exc.output:
                raise FirmwareError(
                    f"the board on {self.port!r} has no Lease Chain firmware "
                    f"({last_line(exc.output)}); run `leasechain-device flash` first"
                ) from None
            if "AttributeError" in exc.output:
                raise FirmwareError(
                    f"the firmware on {self.port!r} has no provision.{function} "
                    f"({last_line(exc.output)}); it is older than this tool: run `leasechain-device flash`"
                ) from None
            raise


@contextlib.contextmanager
def connect(port: str | None, timeout: float = 10.0) -> Iterator[Board]:
    """Resolve ``port`` (or $LEASECHAIN_PORT), open the board, and close it afterwards."""
    board = Board(resolve_port(port), timeout=timeout)
    try:
        yield board
    finally:
        board.close()


__all__ = ["PORT_ENV", "Board", "connect", "resolve_port"]
