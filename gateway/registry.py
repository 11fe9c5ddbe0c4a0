"""The device registry: which device keys this gateway accepts.

The ledger is the source of truth (enrolment, rotation, revocation are
ledger transactions); the gateway keeps a copy in memory, synced from the
backend and cached on disk, or loaded from a file at offline sites.

File format (JSON, also the cache format)::

    {"devices": [
        {"public_key": "<64 hex digits>", "state": "active"},
        {"public_key": "<64 hex digits>", "state": "revoked"}
    ]}

``state`` is ``active`` (default), ``rotated`` (an old key replaced by a
new one) or ``revoked`` (every message is rejected with ``revoked_device``).
A rotated key may carry ``rotated_at`` (Unix seconds): as on the ledger, its
messages are accepted only when their synchronised device time is before
the rotation, since a device drains its flash buffer after a rotation;
without ``rotated_at`` they are accepted until the key is revoked.  The device id is derived from the key
(``SHA-256(public_key)[:16]``); an optional ``device_id`` field is checked
against it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chain_client.device import device_id
from gateway.errors import RegistryError

State = Literal["active", "rotated", "revoked"]


class DeviceEntry(BaseModel):
    """One device key as the registry file or the backend lists it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    public_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    state: State = "active"
    device_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    rotated_at: int | None = Field(default=None, ge=0)

    @field_validator("public_key", "device_id", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


class RegistryDocument(BaseModel):
    """The registry file: a list of device keys."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    devices: list[DeviceEntry]


@dataclass(frozen=True)
class Device:
    """A registered device key."""

    device_id: bytes
    public_key: bytes
    state: State
    rotated_at: int | None = None

    @property
    def revoked(self) -> bool:
        """Whether messages of this device are rejected outright."""
        return self.state == "revoked"


def build(entries: Iterable[DeviceEntry]) -> dict[bytes, Device]:
    """Index entries by device id; raise :class:`RegistryError` on an inconsistent entry."""
    devices: dict[bytes, Device] = {}
    for index, entry in enumerate(entries):
        public = bytes.fromhex(entry.public_key)
        dev = device_id(public)
        if entry.device_id is not None and bytes.fromhex(entry.device_id) != dev:
            raise RegistryError(
                f"devices[{index}].device_id = {entry.device_id!r}: expected {dev.hex()}, "
                "the id derived from its public key"
            )
        previous = devices.get(dev)
        # A key listed twice keeps its strictest state: revocation must not be undone by order.
        if previous is not None and previous.revoked:
            continue
        devices[dev] = Device(dev, public, entry.state, entry.rotated_at)
    return devices


def parse_document(data: Any, source: str) -> dict[bytes, Device]:  # noqa: ANN401 - untyped JSON
    """Validate a registry document already decoded from JSON."""
    try:
        document = RegistryDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise RegistryError(
            f"{source}: {key} = {first.get('input')!r}: {first['msg']} ({exc.error_count()} problem(s))"
        ) from None
    try:
        return build(document.devices)
    except RegistryError as exc:
        raise RegistryError(f"{source}: {exc}") from None


def load_file(path: Path) -> dict[bytes, Device]:
    """Load a registry file (format in this module's docstring)."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the registry file: {exc.strerror}") from None
    except ValueError as exc:
        raise RegistryError(f"{path}: not valid JSON: {exc}") from None
    return parse_document(data, str(path))


def dump(devices: Mapping[bytes, Device]) -> dict[str, Any]:
    """The registry as a JSON-ready document (the file and cache format)."""
    return {
        "devices": [
            {
                "device_id": d.device_id.hex(),
                "public_key": d.public_key.hex(),
                "state": d.state,
                **({} if d.rotated_at is None else {"rotated_at": d.rotated_at}),
            }
            for d in devices.values()
        ]
    }


def save_file(path: Path, devices: Mapping[bytes, Device]) -> None:
    """Write the registry atomically (temporary file, fsync, rename)."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as out:
        json.dump(dump(devices), out)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)


class Registry:
    """The live registry: a snapshot replaced atomically on each sync.

    Lookups read one dict reference, so verifier threads never see a half-built
    registry and never take a lock.
    """

    def __init__(self, devices: Mapping[bytes, Device] | None = None) -> None:
        self._devices: Mapping[bytes, Device] = dict(devices or {})
        self._lock = threading.Lock()
        # When the keys were last synced from the ledger (Unix seconds); None: not since start.
        self.synced_at: float | None = None

    def get(self, device: bytes) -> Device | None:
        """The registered key of ``device``, if any."""
        return self._devices.get(device)

    def __len__(self) -> int:
        return len(self._devices)

    def replace(self, devices: Mapping[bytes, Device]) -> None:
        """Swap in a new snapshot."""
        with self._lock:
            self._devices = dict(devices)

    def merge(self, *sources: Mapping[bytes, Device]) -> None:
        """Swap in the union of ``sources``; a revocation in any source wins."""
        merged: dict[bytes, Device] = {}
        for source in sources:
            for dev, entry in source.items():
                previous = merged.get(dev)
                if previous is None or not previous.revoked:
                    merged[dev] = entry
        self.replace(merged)

    def snapshot(self) -> Mapping[bytes, Device]:
        """The current snapshot (read-only by convention)."""
        return self._devices
