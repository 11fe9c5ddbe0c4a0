"""The systemd notification protocol (sd_notify), written out instead of pulled in.

systemd passes ``$NOTIFY_SOCKET``: a unix datagram socket path, or an
abstract socket name when it starts with ``@``.  Each datagram holds
newline-separated ``KEY=VALUE`` assignments (``READY=1``, ``WATCHDOG=1``,
``STOPPING=1``, ``STATUS=...``).
"""

from __future__ import annotations

import os
import socket


def notify(state: str, socket_path: str | None = None) -> bool:
    """Send ``state`` to the service manager; return whether a manager is listening.

    Without ``$NOTIFY_SOCKET`` (not started by systemd, or ``Type=simple``) this
    does nothing and returns ``False``; a send error is also ``False``, since a
    lost notification must never stop the service.
    """
    path = socket_path if socket_path is not None else os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError:
        return False
    return True


def watchdog_interval() -> float | None:
    """Seconds between watchdog pings (half of ``$WATCHDOG_USEC``), or ``None`` if not asked for.

    ``$WATCHDOG_PID``, when set, must be this process, or the pings are meant for another one.
    """
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 2e6 if value > 0 else None
