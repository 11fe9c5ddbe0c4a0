"""``leasechain-device``: flash, provision, enroll, monitor and check a Lease Chain sensor.

The library does the work (``deploy``, ``provisioning``, ``enroll``,
``monitor``, ``doctor``), each over a :class:`~.link.Board` (the raw REPL on a
serial port); ``cli`` is a thin wrapper.  Every failure a technician can fix
is a :class:`~.errors.DeviceToolError` with its own exit status.
"""

from firmware.tools.device.errors import DeviceToolError
from firmware.tools.device.link import PORT_ENV, Board, connect, resolve_port

__all__ = ["PORT_ENV", "Board", "DeviceToolError", "connect", "resolve_port"]
