"""Test helpers for the gateway: signed readings, registry files, configs and a gateway process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from nacl.signing import SigningKey
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from chain_client import topics
from chain_client.device import device_id
from chain_client.message import digest, sign
from chain_client.payload import GENESIS_PREV, Reading
from gateway import status
from gateway.store import Stats

NOW = int(time.time())


@dataclass
class Sensor:
    """A virtual sensor that signs a correct hash chain of readings."""

    key: SigningKey
    boot: int = 1
    seq: int = 0
    prev: bytes = GENESIS_PREV
    sent: list[bytes] = field(default_factory=list)

    @classmethod
    def make(cls, n: int) -> Sensor:
        """A deterministic sensor number ``n``."""
        return cls(SigningKey(n.to_bytes(4, "big") * 8))

    @property
    def id(self) -> bytes:
        """The device id."""
        return device_id(bytes(self.key.verify_key))

    @property
    def public_hex(self) -> str:
        """The public key in hex."""
        return bytes(self.key.verify_key).hex()

    @property
    def topic(self) -> str:
        """The device's data topic."""
        return topics.topic(self.id, "data")

    def reading(self, **changes: Any) -> bytes:
        """Sign the next reading of the chain and advance it."""
        fields: dict[str, Any] = {
            "device_id": self.id,
            "boot": self.boot,
            "seq": self.seq,
            "time": NOW,
            "time_synced": True,
            "readings": {1: 2150, 6: 1},
            "run_seconds": 10 * self.seq,
            "cycles": self.seq,
            "prev": self.prev,
        }
        fields.update(changes)
        raw = sign(Reading(**fields), self.key)
        self.seq = fields["seq"] + 1
        self.prev = digest(raw)
        self.sent.append(raw)
        return raw

    def reboot(self) -> None:
        """Start a new boot; the chain continues from the last message."""
        self.boot += 1
        self.seq = 0


def write_registry(path: Path, sensors: list[Sensor], revoked: tuple[Sensor, ...] = ()) -> Path:
    """A registry file listing ``sensors`` (active) and ``revoked``."""
    devices = [{"public_key": s.public_hex, "state": "active"} for s in sensors]
    devices += [{"public_key": s.public_hex, "state": "revoked"} for s in revoked]
    path.write_text(json.dumps({"devices": devices}))
    return path


def write_config(directory: Path, body: str) -> Path:
    """Write ``gateway.toml`` in ``directory``."""
    path = directory / "gateway.toml"
    path.write_text(body)
    return path


def basic_config(
    tmp: Path,
    registry: Path,
    *,
    broker_port: int | None = None,
    extra: str = "",
    gateway_id: str = "test-gw",
    client_id: str | None = None,
) -> Path:
    """A config with a registry file, the state in ``tmp/state`` and metrics on a free port."""
    mqtt = "[mqtt]\nenabled = false\n"
    if broker_port is not None:
        mqtt = (
            f'[mqtt]\nhost = "127.0.0.1"\nport = {broker_port}\n'
            "reconnect_min_seconds = 1\nreconnect_max_seconds = 2\n"
        )
        if client_id:
            mqtt += f'client_id = "{client_id}"\n'
    return write_config(
        tmp,
        f"""
[gateway]
id = "{gateway_id}"
state_directory = "{tmp / "state"}"

{mqtt}
[registry]
file = "{registry}"

[metrics]
port = 0

[batch]
max_readings = 50
max_age_seconds = 0.5
{extra}
""",
    )


class NotifySocket:
    """A real unix datagram socket standing in for systemd's notification socket."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.messages: list[str] = []

    def receive(self, timeout: float) -> str | None:
        """One datagram, or ``None`` after ``timeout``."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096).decode()
        except TimeoutError:
            return None
        self.messages.append(data)
        return data

    def wait_for(self, needle: str, timeout: float = 20.0) -> bool:
        """Wait until a datagram containing ``needle`` arrives."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.receive(max(0.01, deadline - time.monotonic()))
            if message is not None and needle in message.split("\n"):
                return True
        return False

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


class GatewayProcess:
    """``python -m gateway run`` as a child process, ready when it says READY=1."""

    def __init__(self, config: Path, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.workdir = workdir
        self.extra_env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.notify: NotifySocket | None = None
        self.log = workdir / "gateway.log"
        self.starts = 0

    def start(self, wait_ready: bool = True) -> None:
        """Start and wait for READY=1 on the notification socket."""
        self.starts += 1
        sock_path = self.workdir / f"notify-{self.starts}.sock"
        self.notify = NotifySocket(sock_path)
        env = dict(os.environ, NOTIFY_SOCKET=str(sock_path), **self.extra_env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "run", "--config", str(self.config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )
        if wait_ready and not self.notify.wait_for("READY=1"):
            self.kill()
            raise AssertionError(f"gateway never said READY=1; log:\n{self.log.read_text()}")

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; return the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self._close()
        return code

    def kill(self) -> None:
        """kill -9."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        if self.notify is not None:
            self.notify.close()
            self.notify = None


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``condition`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def store_stats(state: Path) -> Stats | None:
    """Stats of the store in ``state``, or ``None`` if it does not exist yet."""
    path = state / "gateway.sqlite3"
    if not path.exists():
        return None
    return status.read(path)


def counter(state: Path, name: str) -> int:
    """One lifetime counter of the store."""
    stats = store_stats(state)
    return 0 if stats is None else stats.counters.get(name, 0)


def stored_raws(state: Path) -> list[bytes]:
    """Every stored reading's bytes, in arrival order."""
    import sqlite3

    db = sqlite3.connect(f"file:{state / 'gateway.sqlite3'}?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute("SELECT raw FROM readings ORDER BY id")]
    finally:
        db.close()


def quarantine_reasons(state: Path) -> list[str]:
    """Reasons of every quarantined message, in arrival order."""
    import sqlite3

    db = sqlite3.connect(f"file:{state / 'gateway.sqlite3'}?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute("SELECT reason FROM quarantine ORDER BY id")]
    finally:
        db.close()


def quarantine_rows(state: Path) -> list[tuple[str, int, bytes, bytes]]:
    """(reason, size, SHA-256, kept bytes) of every quarantine row, in arrival order."""
    import sqlite3

    db = sqlite3.connect(f"file:{state / 'gateway.sqlite3'}?mode=ro", uri=True)
    try:
        return [
            (row[0], row[1], row[2], row[3])
            for row in db.execute("SELECT reason, size, sha256, raw FROM quarantine ORDER BY id")
        ]
    finally:
        db.close()


class Publisher:
    """A QoS 1 MQTT publisher (a site's sensors, seen from the broker)."""

    def __init__(self, host: str, port: int, client_id: str = "sensors") -> None:
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv311
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.connect(host, port)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes) -> paho.MQTTMessageInfo:
        """Publish one message with QoS 1."""
        return self.client.publish(topic, payload, qos=1)

    def publish_all(self, items: list[tuple[str, bytes]], timeout: float = 30.0) -> None:
        """Publish and wait until the broker acknowledged every message."""
        infos = [self.publish(t, p) for t, p in items]
        for info in infos:
            info.wait_for_publish(timeout)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()
