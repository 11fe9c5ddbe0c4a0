"""Serial ports: which there are, which one is the board (``--port auto``), and who holds one.

``auto`` works as mpremote's ``connect auto`` does: the USB serial ports (those
with a USB vendor id) are the candidates, and exactly one must be there, so a
second board plugged in is a clear error instead of a guess.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from serial.tools import list_ports

from firmware.tools.device.errors import NoPortError

AUTO = "auto"


@dataclass(frozen=True)
class PortInfo:
    """One serial port as the operating system describes it."""

    device: str
    description: str
    usb_id: str  # "VID:PID" in hex, "" for a port that is not USB
    serial_number: str

    def as_dict(self) -> dict[str, str]:
        """The port for ``--json``."""
        return {
            "device": self.device,
            "description": self.description,
            "usb_id": self.usb_id,
            "serial_number": self.serial_number,
        }


def list_serial() -> list[PortInfo]:
    """Every serial port, USB ones first, in device order."""
    found = []
    for p in list_ports.comports():
        usb = f"{p.vid:04x}:{p.pid:04x}" if p.vid is not None and p.pid is not None else ""
        desc = p.description if p.description and p.description != "n/a" else ""
        found.append(PortInfo(p.device, desc, usb, p.serial_number or ""))
    return sorted(found, key=lambda port: (port.usb_id == "", port.device))


def auto_port(ports: list[PortInfo] | None = None) -> str:
    """The only USB serial port; NoPortError naming what was found otherwise."""
    usb = [p for p in (list_serial() if ports is None else ports) if p.usb_id]
    if len(usb) == 1:
        return usb[0].device
    if not usb:
        raise NoPortError("--port auto: no USB serial port found; is the board plugged in with a data cable?")
    names = ", ".join(f"{p.device} ({p.description or p.usb_id})" for p in usb)
    raise NoPortError(f"--port auto: {len(usb)} USB serial ports ({names}); choose one with --port")


def holders(device: str, proc: Path = Path("/proc")) -> list[tuple[int, str]]:
    """(pid, program name) of other processes that have ``device`` open (Linux; empty elsewhere)."""
    try:
        target = os.path.realpath(device)
        pids = [int(entry.name) for entry in proc.iterdir() if entry.name.isdigit()]
    except OSError:
        return []
    out = []
    for pid in pids:
        if pid == os.getpid():
            continue
        try:
            fds = list((proc / str(pid) / "fd").iterdir())
            if any(os.path.realpath(fd) == target for fd in fds):
                name = (proc / str(pid) / "comm").read_text().strip()
                out.append((pid, name))
        except OSError:
            continue  # another user's process, or one that just ended
    return sorted(out)


def busy_hint(device: str) -> str:
    """`` held by <program> (pid N)`` when another process has the port open, else ``""``."""
    held = holders(device)
    if not held:
        return ""
    names = ", ".join(f"{name} (pid {pid})" for pid, name in held)
    return f"; the port is held by {names}: close it first"
