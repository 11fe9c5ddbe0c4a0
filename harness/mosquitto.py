"""Mosquitto on a free port: its configuration (one set of limits) and a broker that tests stop and kill.

The simulator's services, the benchmarks and the tests all start Mosquitto from
``write_config``, so a broker under test has the limits of one under load.  With
persistence on, the broker keeps its file in its working directory, so a restart
(graceful or after ``kill -9``) behaves as on a real site: persistent sessions and
queued QoS 1 messages survive a graceful restart.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from harness.ports import free_port, wait_for_port

# A fleet of thousands of simulated sensors on one broker: no connection cap, queues deep
# enough that a gateway restart loses nothing the broker accepted.
LIMITS = (
    "max_connections -1",
    "max_queued_messages 1000000",
    "max_inflight_messages 1000",
)


def installed_mosquitto() -> str | None:
    """Path of the mosquitto executable, if installed (Debian puts it in /usr/sbin)."""
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")


def mosquitto_binary() -> str:
    """Path of the mosquitto executable; a clear error when it is not installed."""
    found = installed_mosquitto()
    if found is None:
        raise RuntimeError("mosquitto is not installed; scripts/install-system-deps installs it with apt-get")
    return found


def write_config(workdir: Path, host: str, port: int, persistence: bool) -> Path:
    """Write ``workdir/mosquitto.conf`` (log in ``workdir/mosquitto.log``) and return its path."""
    lines = [
        f"listener {port} {host}",
        "allow_anonymous true",
        # As root, mosquitto would drop to the 'mosquitto' user, which can neither write the
        # private directory nor keep root's raised open-file limit.
        *(["user root"] if os.geteuid() == 0 else []),
        *LIMITS,
        f"log_dest file {workdir / 'mosquitto.log'}",
        "log_type error",
        "log_type warning",
        "log_type notice",
    ]
    if persistence:
        lines += ["persistence true", f"persistence_location {workdir}/", "autosave_interval 1"]
    else:
        lines.append("persistence false")
    config = workdir / "mosquitto.conf"
    config.write_text("\n".join([*lines, ""]))
    return config


class Mosquitto:
    """One broker process bound to 127.0.0.1 on its own port, with persistence."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config = write_config(workdir, self.host, self.port, persistence=True)
        self.log = workdir / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``mqtt://host:port`` for this broker."""
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> None:
        """Start the broker and wait until it accepts connections."""
        if self.running:
            return
        self.process = subprocess.Popen(
            [mosquitto_binary(), "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.host, self.port, process=self.process)

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop gracefully (SIGTERM): the broker saves its persistence file."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process = None

    def kill(self) -> None:
        """Kill -9: the broker loses whatever it had not saved."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        """Graceful stop, then start on the same port."""
        self.stop()
        self.start()
