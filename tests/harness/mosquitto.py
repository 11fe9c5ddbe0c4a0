"""A private Mosquitto broker per test, on a free port, that tests can stop, kill and restart.

The broker keeps its persistence file in the test's temporary directory, so
a restart (graceful or after ``kill -9``) behaves as on a real site: persistent
sessions and queued QoS 1 messages survive a graceful restart.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from simulator.services import mosquitto_binary as installed_mosquitto
from tests.harness.ports import free_port, wait_for_port


def mosquitto_binary() -> str:
    """Path of the mosquitto executable (Debian installs it in /usr/sbin)."""
    found = installed_mosquitto()
    if found is None:
        raise RuntimeError("mosquitto is not installed; scripts/test installs it with apt-get")
    return found


class Mosquitto:
    """One broker process bound to 127.0.0.1 on its own port."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config = workdir / "mosquitto.conf"
        self.log = workdir / "mosquitto.log"
        self.config.write_text(
            "\n".join(
                [
                    f"listener {self.port} {self.host}",
                    "allow_anonymous true",
                    # As root, mosquitto would drop to the 'mosquitto' user, which
                    # cannot write the test's private directory.
                    *(["user root"] if os.geteuid() == 0 else []),
                    "persistence true",
                    f"persistence_location {workdir}/",
                    "autosave_interval 1",
                    "max_queued_messages 100000",
                    "max_inflight_messages 100",
                    f"log_dest file {self.log}",
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    "",
                ]
            )
        )
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
        wait_for_port(self.host, self.port)

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
