"""Broker access per sensor: a real Mosquitto reading the password and ACL files the gateway writes."""

from __future__ import annotations

import base64
import json
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
from gateway.store import Store
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
        self.granted: list[ReasonCode] = []
        self.received: list[tuple[str, bytes]] = []
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert self.answered.wait(10), "no CONNACK"

    def _on_connect(self, _c: paho.Client, _u: object, _f: object, code: ReasonCode, _p: object) -> None:
        self.code = code
        self.answered.set()

    def _on_publish(self, _c: paho.Client, _u: object, mid: int, code: ReasonCode, _p: object) -> None:
        self.acks[mid] = code

    def _on_subscribe(
        self, _c: paho.Client, _u: object, _m: int, codes: list[ReasonCode], _p: object
    ) -> None:
        self.granted.extend(codes)

    def _on_message(self, _c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        self.received.append((message.topic, bytes(message.payload)))

    def subscribe(self, topic: str) -> ReasonCode:
        """Subscribe at QoS 1; return the broker's SUBACK reason code."""
        self.client.subscribe(topic, qos=1)
        wait_until(lambda: bool(self.granted), timeout=10, what="SUBACK")
        return self.granted.pop()

    @property
    def accepted(self) -> bool:
        return self.code is not None and not self.code.is_failure

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> ReasonCode:
        """Publish at QoS 1; return the broker's PUBACK reason code."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
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


def _site(tmp_path: Path, registry: Path) -> tuple[Mosquitto, Path, Path]:
    """A broker that reads the gateway's password and ACL files, and the gateway's config for it."""
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
    return broker, config, passwd


def test_a_sensor_publishes_only_in_its_own_name(tmp_path: Path) -> None:
    a, b, revoked, late = (Sensor.make(n) for n in (800, 801, 802, 803))
    registry = write_registry(tmp_path / "devices.json", [a, b], revoked=(revoked,))
    broker, config, passwd = _site(tmp_path, registry)
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


def test_the_gateway_reads_every_update_status_and_a_sensor_none_but_its_own(tmp_path: Path) -> None:
    a, b, c = (Sensor.make(n) for n in (810, 811, 812))
    registry = write_registry(tmp_path / "devices.json", [a, b, c])
    broker, config, _passwd = _site(tmp_path, registry)
    _gateway("broker-access", "-c", str(config))
    Store(tmp_path / "state" / "gateway.sqlite3").close()  # status also reads the store

    def login(sensor: Sensor) -> Login:
        user, password = _gateway("broker-access", "-c", str(config), "--device", sensor.id.hex()).split()
        clients.append(Login(broker, user, password))
        return clients[-1]

    def update(sensor: Sensor) -> str:
        return sensor.topic.rsplit("/", 1)[0] + "/update"

    broker.start()
    clients: list[Login] = []
    try:
        as_a, as_b = login(a), login(b)
        rolled_back = (
            b'{"running": "1.0.0", "state": "rolled_back", "reason": "unhealthy", "version": "1.1.0"}'
        )
        assert as_a.publish(update(a), rolled_back, retain=True).is_failure is False  # 0x10: none reads it
        assert (
            as_b.publish(update(b), b"\xff not json", retain=True).is_failure is False
        )  # 0x10: no subscriber yet
        assert (
            as_b.publish(update(a), b'{"state": "confirmed"}', retain=True).value == 0x87
        )  # not in a's name
        # b may not read a's status (nor any device's): Mosquitto grants the subscription and then
        # delivers nothing the ACL does not let b read, neither the retained message nor a new one.
        for topic in (update(a), "leasechain/v1/dev/+/update"):
            as_b.subscribe(topic)
        assert as_a.publish(update(a), rolled_back, retain=True).is_failure is False
        time.sleep(1)
        assert as_b.received == []
        data = json.loads(_gateway("status", "-c", str(config), "--updates", "--json"))["updates"]
        assert data["error"] is None
        assert data["devices"] == {
            a.id.hex(): {
                "running": "1.0.0",
                "state": "rolled_back",
                "reason": "unhealthy",
                "version": "1.1.0",
            },
            b.id.hex(): {"problem": "not UTF-8 JSON"},
        }  # c never published one
        text = _gateway("status", "-c", str(config), "--updates")
        assert f"{a.id.hex()}  runs 1.0.0, rolled_back 1.1.0 (unhealthy)" in text
        assert "updates          2 devices" in text
    finally:
        for client in clients:
            client.close()
        broker.kill()


def test_status_says_why_it_could_not_read_the_updates(tmp_path: Path) -> None:
    registry = write_registry(tmp_path / "devices.json", [Sensor.make(820)])
    broker, config, _passwd = _site(tmp_path, registry)
    Store(tmp_path / "state" / "gateway.sqlite3").close()
    text = _gateway("status", "-c", str(config), "--updates")  # the broker is not started
    assert f"updates          not read: 127.0.0.1:{broker.port}: cannot connect" in text
