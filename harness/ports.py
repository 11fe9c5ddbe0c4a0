"""Free TCP ports on the loopback interface, and waiting for a child process to listen on one.

A free port is only free until someone binds it: between ``free_port()`` and the moment the
server started on it listens, another process that asks the kernel for one may be handed the same
number.  Processes that start servers side by side (the suite's parallel workers) are therefore
given ranges of their own in ``$LEASECHAIN_PORTS`` (``block()``), below the kernel's ephemeral
range, where neither the kernel's picks nor another worker's can land; their child processes
inherit it.  In a range, a process's picks move on through it rather than start afresh, so it is
not handed a port it picked a moment ago and has not bound yet.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import threading
import time

PORTS_ENV = "LEASECHAIN_PORTS"
# Below Linux's ephemeral range (32768-60999 unless ip_local_port_range says otherwise), and above
# the well-known services a developer's machine runs.
PARALLEL_PORTS = (20000, 32767)

_cursor: dict[str, int] = {}  # range -> where this process's next pick in it starts
_cursor_lock = threading.Lock()


class PortTimeoutError(TimeoutError):
    """Nothing listened on the port within the time allowed."""


class ProcessExitedError(RuntimeError):
    """The process that was to listen on the port exited first."""


def block(index: int, count: int) -> str:
    """The ``LOW-HIGH`` range of ``PARALLEL_PORTS`` that process ``index`` of ``count`` picks from."""
    if not 0 <= index < count:
        raise ValueError(f"process {index} of {count}")
    low, high = PARALLEL_PORTS
    size = (high - low + 1) // count
    start = low + index * size
    return f"{start}-{start + size - 1}"


def _port_range(chosen: str) -> tuple[int, int]:
    """The first and last port of ``$LEASECHAIN_PORTS``'s ``LOW-HIGH``."""
    low, _, high = chosen.partition("-")
    if not (low.isdigit() and high.isdigit() and 0 < int(low) <= int(high) <= 65535):
        raise ValueError(f"{PORTS_ENV}={chosen!r} is not a port range LOW-HIGH within 1-65535")
    return int(low), int(high)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    The kernel picks it, unless ``$LEASECHAIN_PORTS`` names a range ``LOW-HIGH`` to pick from.
    """
    chosen = os.environ.get(PORTS_ENV, "")
    if not chosen:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    first, last = _port_range(chosen)
    count = last - first + 1
    with _cursor_lock:
        # Onwards from the port after this process's last pick: ports it picked and has not bound
        # yet (three witnesses picked, then started) are not handed out again.  The first pick
        # starts at a random point, so a child process picking in its parent's range starts elsewhere.
        offset = _cursor.get(chosen, secrets.randbelow(count))
        for step in range(count):
            port = first + (offset + step) % count
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue  # listened on, or still held by a closing connection
            _cursor[chosen] = (offset + step + 1) % count
            return port
    raise OSError(f"no free port in {PORTS_ENV}={chosen}")


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
