"""Broker access per sensor: Mosquitto's password and ACL files, written from the device registry.

Each enrolled sensor logs in to the site's Mosquitto with its device id (32
hex digits) as user name and a password derived from a site secret,
``HMAC-SHA256(secret, "leasechain-mqtt-password" ‖ device id)``: the gateway
can write every sensor's entry without storing any password, and the
installer can print one for the technician who configures the sensor
(``leasechain-gateway broker-access --device ID``).  The ACL lets each user
write only below ``leasechain/v1/dev/<its user name>/`` (Mosquitto's ``%u``
pattern) and the gateway read the data, birth, status and update topics, so one sensor's
credentials cannot publish in another device's name.  A revoked device
loses its entry, so it can no longer connect at all.

The files are rewritten (atomically, and only when their content changes:
salts are derived from the secret too, so the same registry gives the same
bytes) at start-up, after each registry sync and on reload.  Mosquitto reads
them when it starts and on SIGHUP; a systemd path unit
(configs/leasechain-broker-access.path) reloads it when they change.

Password hashes are Mosquitto 2's ``$7$`` format: PBKDF2-HMAC-SHA512, 101
iterations, a 12-byte salt, base64.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chain_client import topics
from gateway.registry import Device

ITERATIONS = 101  # mosquitto_passwd's default for $7$
SALT_BYTES = 12
_PASSWORD_LABEL = b"leasechain-mqtt-password\x00"
_SALT_LABEL = b"leasechain-mqtt-salt\x00"


def sensor_password(secret: bytes, device: bytes) -> str:
    """The MQTT password of ``device``: 43 URL-safe characters derived from the site secret."""
    mac = hmac.new(secret, _PASSWORD_LABEL + device, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def password_hash(password: str, salt: bytes) -> str:
    """A Mosquitto 2 password-file hash (``$7$``, PBKDF2-HMAC-SHA512)."""
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS)
    return f"$7${ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _salt(secret: bytes, user: str) -> bytes:
    return hmac.new(secret, _SALT_LABEL + user.encode(), hashlib.sha256).digest()[:SALT_BYTES]


@dataclass(frozen=True)
class Files:
    """The contents of the two files."""

    passwords: str
    acl: str
    sensors: int


def render(devices: Mapping[bytes, Device], secret: bytes, gateway_user: str, gateway_password: str) -> Files:
    """Password and ACL files for every device not revoked, and the gateway."""
    lines = [f"{gateway_user}:{password_hash(gateway_password, _salt(secret, gateway_user))}"]
    sensors = 0
    for dev in sorted(devices):
        if devices[dev].revoked:
            continue
        user = dev.hex()
        lines.append(f"{user}:{password_hash(sensor_password(secret, dev), _salt(secret, user))}")
        sensors += 1
    prefix = topics.PREFIX
    acl = "\n".join(
        [
            "# Written by leasechain-gateway from its device registry; edits are overwritten.",
            f"user {gateway_user}",
            f"topic read {prefix}/+/data",
            f"topic read {prefix}/+/birth",
            f"topic read {prefix}/+/status",
            f"topic read {prefix}/+/update",
            "",
            "# Every other user is a sensor whose user name is its device id: its own topics only.",
            f"pattern write {prefix}/%u/#",
            "",
        ]
    )
    return Files("\n".join(lines) + "\n", acl, sensors)


def _replace(path: Path, text: str) -> bool:
    """Write ``text`` atomically unless the file already holds it; return whether it changed."""
    try:
        if path.read_text() == text:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    tmp.chmod(0o640)  # the broker reads it through the group (docs/gateway.md)
    tmp.replace(path)
    return True


def write(password_file: Path, acl_file: Path, files: Files) -> bool:
    """Write both files; return whether either changed (then the broker must reload them)."""
    # The ACL first: a new user appears in the password file only once its limits are in place.
    acl = _replace(acl_file, files.acl)
    passwords = _replace(password_file, files.passwords)
    return acl or passwords
