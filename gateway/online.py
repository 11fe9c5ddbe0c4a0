"""``check-config --online``: can this gateway reach its broker and its ledger with this config?

Each check returns one line that says what was tried and what came back; a
failed check names what to fix.  Nothing is written anywhere: the broker
session is a throw-away clean one under its own client id, so the service's
persistent session is never taken over.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import paho.mqtt.client as paho
from nacl.signing import SigningKey
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from chain_client.client import ClientError, LedgerClient, NotFoundError
from gateway.config import Config

TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Check:
    """One online check: its name, whether it passed and what it found."""

    name: str
    ok: bool
    text: str


def broker(cfg: Config, password: str | None) -> Check:
    """Connect to the broker as the gateway would (user, password, TLS) and wait for CONNACK."""
    where = f"{cfg.mqtt.host}:{cfg.mqtt.port}"
    protocol = MQTTProtocolVersion.MQTTv5 if cfg.mqtt.protocol == "5" else MQTTProtocolVersion.MQTTv311
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=f"leasechain-check-{cfg.gateway.id}", protocol=protocol
    )
    if cfg.mqtt.username is not None:
        client.username_pw_set(cfg.mqtt.username, password)
    if cfg.mqtt.tls_ca_file is not None:
        client.tls_set(ca_certs=str(cfg.mqtt.tls_ca_file))
    answered = threading.Event()
    codes: list[ReasonCode] = []

    def on_connect(_c: paho.Client, _u: object, _f: object, code: ReasonCode, _p: object = None) -> None:
        codes.append(code)
        answered.set()

    client.on_connect = on_connect
    try:
        client.connect(cfg.mqtt.host, cfg.mqtt.port, keepalive=cfg.mqtt.keepalive_seconds)
    except (OSError, ValueError) as exc:
        return Check("broker", False, f"{where}: cannot connect: {exc}")
    client.loop_start()
    try:
        if not answered.wait(TIMEOUT_SECONDS):
            return Check("broker", False, f"{where}: no CONNACK within {TIMEOUT_SECONDS:.0f} s")
        code = codes[0]
        if code.is_failure:
            user = cfg.mqtt.username or "(no user name)"
            return Check("broker", False, f"{where} refused the gateway ({user}): {code}")
        client.disconnect()
        return Check("broker", True, f"{where}: connected as {cfg.mqtt.username or '(anonymous)'}")
    finally:
        client.loop_stop()


def backend(cfg: Config, key: SigningKey | None) -> list[Check]:
    """Reach the ledger, count its device registry, and check the gateway's service enterprise."""
    url = cfg.backend.url
    if url is None:
        return [Check("backend", True, "none configured (batches are kept, not anchored)")]
    checks: list[Check] = []
    try:
        with LedgerClient(url, timeout=cfg.backend.timeout_seconds, retries=0) as client:
            info = client.info()
            checks.append(Check("backend", True, f"{url}: {info.name}, log of {info.size} entries"))
            if cfg.registry.sync_from_backend:
                registry = client.devices()
                checks.append(Check("registry", True, f"{len(registry.devices)} device keys on the ledger"))
            if key is not None:
                checks.append(_enterprise(client, bytes(key.verify_key).hex()))
    except ClientError as exc:
        checks.append(Check("backend", False, f"{url}: {exc}"))
    return checks


def _enterprise(client: LedgerClient, account: str) -> Check:
    try:
        enterprise = client.enterprise(account)
    except NotFoundError:
        return Check(
            "account",
            False,
            f"{account} is not registered on the ledger; register it as a 'service' enterprise "
            "and have it certified, or batches wait (see `leasechain-gateway account`)",
        )
    roles = ", ".join(enterprise.roles)
    if enterprise.status != "approved" or "service" not in enterprise.roles:
        return Check(
            "account",
            False,
            f"{account} ({enterprise.name}) is {enterprise.status} with roles {roles}; "
            "expected approved with the 'service' role, or the ledger refuses its batches",
        )
    return Check("account", True, f"{account} ({enterprise.name}): certified service enterprise")
