"""Free TCP ports on the loopback interface, and waiting for a child process to listen on one."""

from __future__ import annotations

import socket
import subprocess
import time


class PortTimeoutError(TimeoutError):
    """Nothing listened on the port within the time allowed."""


class ProcessExitedError(RuntimeError):
    """The process that was to listen on the port exited first."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    host: str, port: int, timeout: float = 10.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Block until something accepts TCP connections on ``host:port``.

    With ``process``, fail at once (``ProcessExitedError``) when it exits before it listens.
    """
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise ProcessExitedError(f"{process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise PortTimeoutError(f"nothing listens on {host}:{port} after {timeout} s") from None
            time.sleep(0.05)
