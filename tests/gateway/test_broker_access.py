"""Broker access per sensor: a real Mosquitto reading the password and ACL files the gateway writes."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from gateway.broker_access import password_hash
from harness.mosquitto import Mosquitto
from tests.gateway.helpers import (
    GatewayProcess,
    Sensor,
    quarantine_reasons,
    stored_raws,
    wait_until,
    write_config,
    write_registry,
)

pytestmark = pytest.mark.mosquitto


class Login:
    """One MQTT 5 client with a user name and password; remembers the broker's answers."""

    def __init__(self, broker: Mosquitto, user: str | None, password: str | None) -> None:
        self.client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"login-{user}-{time.monotonic_ns()}",
            protocol=MQTTProtocolVersion.MQTTv5,
        )
        if user is not None:
            self.client.username_pw_set(user, password)
        self.answered = threading.Event()
        self.code: ReasonCode | None = None
        self.acks: dict[int, ReasonCode] = {}
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert self.answered.wait(10), "no CONNACK"

    def _on_connect(self, _c: paho.Client, _u: object, _f: object, code: ReasonCode, _p: object) -> None:
        self.code = code
        self.answered.set()

    def _on_publish(self, _c: paho.Client, _u: object, mid: int, code: ReasonCode, _p: object) -> None:
        self.acks[mid] = code

    @property
    def accepted(self) -> bool:
        return self.code is not None and not self.code.is_failure

    def publish(self, topic: str, payload: bytes) -> ReasonCode:
        """Publish at QoS 1; return the broker's PUBACK reason code."""
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(10)
        wait_until(lambda: info.mid in self.acks, timeout=10, what="PUBACK")
        return self.acks[info.mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _gateway(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_password_hash_is_mosquittos_own(tmp_path: Path) -> None:
    """mosquitto_passwd checks the format the gateway writes (same salt, same password, same line)."""
    passwd = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(passwd), "u", "s3cret"], check=True)
    line = passwd.read_text().strip()
    _user, hashed = line.split(":", 1)
    _, seven, iterations, salt, _digest = hashed.split("$")
    assert (seven, iterations) == ("7", "101")
    assert password_hash("s3cret", base64.b64decode(salt)) == hashed


def test_a_sensor_publishes_only_in_its_own_name(tmp_path: Path) -> None:
    a, b, revoked, late = (Sensor.make(n) for n in (800, 801, 802, 803))
    registry = write_registry(tmp_path / "devices.json", [a, b], revoked=(revoked,))
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "mqtt-password").write_text("gateway-password-for-the-test")
    (secrets / "broker-secret").write_text("a" * 64)
    broker = Mosquitto(tmp_path / "mosquitto")
    passwd, acl = tmp_path / "broker" / "passwd", tmp_path / "broker" / "acl"
    broker.config.write_text(
        broker.config.read_text().replace(
            "allow_anonymous true", f"allow_anonymous false\npassword_file {passwd}\nacl_file {acl}"
        )
    )
    config = write_config(
        tmp_path,
        f"""
[gateway]
id = "acl-gw"
state_directory = "{tmp_path / "state"}"
[mqtt]
port = {broker.port}
username = "gateway"
password = {{ file = "{secrets / "mqtt-password"}" }}
reconnect_min_seconds = 0.5
reconnect_max_seconds = 1
[registry]
file = "{registry}"
[broker_access]
password_file = "{passwd}"
acl_file = "{acl}"
secret = {{ file = "{secrets / "broker-secret"}" }}
[metrics]
enabled = false
""",
    )
    # The installer's setup: files first, then the broker, then the gateway.
    assert "written (3 devices)" in _gateway("broker-access", "-c", str(config))
    assert passwd.read_text().count("\n") == 3  # the gateway and two sensors; the revoked one has none

    def login(sensor: Sensor) -> list[str]:
        return _gateway("broker-access", "-c", str(config), "--device", sensor.id.hex()).split()

    broker.start()
    gateway = GatewayProcess(config, tmp_path)
    clients: list[Login] = []
    try:
        gateway.start()  # READY=1 only once subscribed: the gateway's own login works
        as_a = Login(broker, *login(a))
        clients.append(as_a)
        assert as_a.accepted
        # With a's credentials, a reading of b's (copied off the network) on b's topic: refused.
        refused = as_a.publish(b.topic, b.reading())
        assert refused.value == 0x87  # Not authorized
        assert as_a.publish(a.topic, a.reading()).value == 0
        wait_until(lambda: len(stored_raws(tmp_path / "state")) == 1, what="a's reading")
        time.sleep(0.5)
        assert stored_raws(tmp_path / "state") == a.sent
        assert quarantine_reasons(tmp_path / "state") == []  # b's copy never reached the gateway
        # Wrong password, a revoked device, anonymous, another device's password: no session at all.
        user, _password = login(b)
        for attempt in (
            Login(broker, user, "guess"),
            Login(broker, *login(revoked)),
            Login(broker, None, None),
            Login(broker, user, login(a)[1]),
        ):
            clients.append(attempt)
            assert not attempt.accepted
        # A device enrolled later: the gateway rewrites the files on reload, the broker re-reads them.
        before = passwd.read_text()
        write_registry(registry, [a, b, late], revoked=(revoked,))
        assert gateway.process is not None
        gateway.process.send_signal(signal.SIGHUP)
        wait_until(lambda: passwd.read_text() != before, what="the password file rewritten")
        assert broker.process is not None
        os.kill(broker.process.pid, signal.SIGHUP)  # what the systemd path unit does on a site
        late_login = login(late)

        def late_accepted() -> bool:
            clients.append(Login(broker, *late_login))
            return clients[-1].accepted

        wait_until(late_accepted, timeout=10, what="the broker to accept the late device")
        as_late = clients[-1]
        assert as_late.publish(late.topic, late.reading()).value == 0
        wait_until(lambda: len(stored_raws(tmp_path / "state")) == 2, what="the late device's reading")
    finally:
        for client in clients:
            client.close()
        gateway.kill()
        broker.kill()
