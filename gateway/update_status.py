"""``leasechain-gateway status --updates``: each device's last over-the-air update status.

A board publishes its update status retained on ``leasechain/v1/dev/<id>/update``
(docs/firmware.md, "The update status message"), so the broker holds the last
one of every device.  This reads them as the gateway's MQTT user (its ACL may
read that topic of every device) over a throw-away clean session, as
``check-config --online`` does: the service's persistent session is never taken
over.  The messages are unsigned and informational; a malformed one is shown as
such, never trusted.

Retained messages follow the SUBACK at once; the read ends when none has come
for :data:`QUIET_SECONDS`, after :data:`MAX_SECONDS` at most, or after
:data:`MAX_DEVICES` devices, so a hostile or huge broker cannot hold it.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from chain_client import topics
from chain_client.device import parse_device_id
from chain_client.errors import ProtocolError
from gateway.config import Config

KIND = "update"
FILTER = f"{topics.PREFIX}/+/{KIND}"
QUIET_SECONDS = 0.5
MAX_SECONDS = 5.0
MAX_DEVICES = 10_000
MAX_PAYLOAD = 1024  # bytes: a real status is under 150


@dataclass(frozen=True)
class DeviceUpdate:
    """One device's last update status as its board published it (``problem`` when unreadable)."""

    device: str  # 32 hex digits
    running: str | None = None
    state: str | None = None
    reason: str | None = None
    version: str | None = None
    boot: int | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Updates:
    """What the broker holds: every device's status by device id, or why it could not be read."""

    devices: dict[str, DeviceUpdate]
    error: str | None = None
    truncated: bool = False


def parse(topic: str, payload: bytes) -> DeviceUpdate | None:
    """The status on ``topic`` (``None`` if the topic is not a device's update topic)."""
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != topics.PREFIX or parts[4] != KIND:
        return None
    try:
        device = parse_device_id(parts[3]).hex()
    except ProtocolError:
        return None
    if len(payload) > MAX_PAYLOAD:
        return DeviceUpdate(device, problem=f"{len(payload)} bytes, more than {MAX_PAYLOAD}")
    try:
        body = json.loads(payload.decode())
    except (UnicodeDecodeError, ValueError):
        return DeviceUpdate(device, problem="not UTF-8 JSON")
    if not isinstance(body, dict):
        return DeviceUpdate(device, problem=f"JSON {type(body).__name__}, expected an object")
    texts = {k: body[k] for k in ("running", "state", "reason", "version") if isinstance(body.get(k), str)}
    boot = body.get("boot")
    return DeviceUpdate(device, boot=boot if type(boot) is int else None, **texts)


class _Collector:
    """The paho callbacks: the SUBACK, and each retained status by device."""

    def __init__(self) -> None:
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.refused: str | None = None
        self.devices: dict[str, DeviceUpdate] = {}
        self.last = time.monotonic()

    def on_connect(
        self, client: paho.Client, _u: object, _f: object, code: ReasonCode, _p: object = None
    ) -> None:
        if code.is_failure:
            self.refused = f"refused the gateway: {code}"
        else:
            client.subscribe(FILTER, qos=0)
        self.connected.set()

    def on_subscribe(self, _c: paho.Client, _u: object, _m: int, codes: list[ReasonCode], _p: object) -> None:
        if any(c.is_failure for c in codes):
            self.refused = f"refused the subscription to {FILTER}: {codes[0]} (check the broker's ACL)"
        self.last = time.monotonic()
        self.subscribed.set()

    def on_message(self, _c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        self.last = time.monotonic()
        found = parse(message.topic, bytes(message.payload))
        if found is not None and len(self.devices) < MAX_DEVICES:
            self.devices[found.device] = found


def read(cfg: Config, password: str | None) -> Updates:
    """Every device's last update status that the broker holds, read as the gateway's user."""
    where = f"{cfg.mqtt.host}:{cfg.mqtt.port}"
    protocol = MQTTProtocolVersion.MQTTv5 if cfg.mqtt.protocol == "5" else MQTTProtocolVersion.MQTTv311
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=f"leasechain-status-{cfg.gateway.id}", protocol=protocol
    )
    if cfg.mqtt.username is not None:
        client.username_pw_set(cfg.mqtt.username, password)
    if cfg.mqtt.tls_ca_file is not None:
        client.tls_set(ca_certs=str(cfg.mqtt.tls_ca_file))
    seen = _Collector()
    client.on_connect = seen.on_connect
    client.on_subscribe = seen.on_subscribe
    client.on_message = seen.on_message
    try:
        client.connect(cfg.mqtt.host, cfg.mqtt.port, keepalive=cfg.mqtt.keepalive_seconds)
    except (OSError, ValueError) as exc:
        return Updates({}, f"{where}: cannot connect: {exc}")
    client.loop_start()
    try:
        return _collect(seen, where)
    finally:
        client.disconnect()
        client.loop_stop()


def _collect(seen: _Collector, where: str) -> Updates:
    """Wait for the SUBACK, then until the retained messages stop coming (bounded in time and count)."""
    deadline = time.monotonic() + MAX_SECONDS
    if not seen.connected.wait(MAX_SECONDS) or seen.refused is not None:
        return Updates({}, f"{where}: {seen.refused or 'no CONNACK'}")
    if not seen.subscribed.wait(max(0.0, deadline - time.monotonic())) or seen.refused is not None:
        return Updates({}, f"{where}: {seen.refused or 'no SUBACK'}")
    while time.monotonic() < deadline and len(seen.devices) < MAX_DEVICES:
        if time.monotonic() - seen.last >= QUIET_SECONDS:
            break
        time.sleep(0.05)
    devices = dict(sorted(seen.devices.items()))
    return Updates(devices, truncated=len(devices) >= MAX_DEVICES or time.monotonic() >= deadline)


def summary(update: DeviceUpdate) -> str:
    """One line for people: what runs and what last happened."""
    if update.problem is not None:
        return f"unreadable status ({update.problem})"
    parts = [f"runs {update.running or '?'}", update.state or "no state"]
    if update.version is not None:
        parts.append(update.version)
    if update.reason is not None:
        parts.append(f"({update.reason})")
    if update.boot is not None:
        parts.append(f"boot {update.boot}")
    return ", ".join(parts[:2]) + (" " + " ".join(parts[2:]) if len(parts) > 2 else "")


def as_dict(updates: Updates) -> dict[str, object]:
    """JSON-ready form (``status --updates --json``)."""
    devices = {
        d: {k: v for k, v in vars(u).items() if k != "device" and v is not None}
        for d, u in updates.devices.items()
    }
    return {"devices": devices, "error": updates.error, "truncated": updates.truncated}


def render(updates: Updates) -> str:
    """The update section of ``status``: one line per device, or why the broker could not be read."""
    if updates.error is not None:
        return f"updates          not read: {updates.error}"
    if not updates.devices:
        return "updates          no device has published an update status"
    lines = [
        f"updates          {len(updates.devices)} devices" + (" (more not read)" if updates.truncated else "")
    ]
    lines += [f"  {device}  {summary(u)}" for device, u in updates.devices.items()]
    return "\n".join(lines)
