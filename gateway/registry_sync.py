"""Keeping the device registry in step with the ledger (``GET /v1/devices``).

Each sync replaces the keys learned from the backend and writes them to a
cache file in the state directory, so a gateway restarted while the backend
is unreachable still knows every key it knew before.  Keys from a
configured registry file are merged in; a revocation from either source wins.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chain_client.client import LedgerClient
from chain_client.client.errors import BadResponseError, LedgerHTTPError, UnreachableError
from gateway.errors import RegistryError
from gateway.registry import Device, DeviceEntry, build, load_file, save_file

log = logging.getLogger(__name__)


def entries_from_backend(data: Any) -> list[DeviceEntry]:  # noqa: ANN401 - untyped JSON
    """Device entries of a ``GET /v1/devices`` answer.

    The backend lists bindings as ``{"devices": [{"device", "public_key", "token",
    "bound_at", "status", "ended_at", "reason"}, ...]}``; ``status`` is active,
    rotated or revoked and ``ended_at`` the time a rotated key was replaced.
    """
    items = data.get("devices") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise RegistryError(f"GET /v1/devices answered {type(data).__name__}, expected a list of devices")
    entries: list[DeviceEntry] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise RegistryError(f"GET /v1/devices item {index} is {type(item).__name__}, expected an object")
        state = item.get("status", "active")
        ended_at = item.get("ended_at")
        try:
            entries.append(
                DeviceEntry.model_validate(
                    {
                        "public_key": item.get("public_key"),
                        "state": state,
                        "device_id": item.get("device"),
                        # The ledger accepts a rotated key's messages only if provably older.
                        "rotated_at": ended_at if state == "rotated" and ended_at else None,
                    }
                )
            )
        except ValueError as exc:
            raise RegistryError(f"GET /v1/devices item {index} is not a device binding: {exc}") from None
    return entries


def fetch(url: str, timeout: float) -> dict[bytes, Device]:
    """Download the registry from the backend at ``url`` through the ledger SDK."""
    endpoint = url.rstrip("/") + "/v1/devices"
    try:
        with LedgerClient(url, timeout=timeout, retries=0) as client:
            answer = client.devices()
    except LedgerHTTPError as exc:
        raise RegistryError(f"{endpoint} answered {exc.status}: {exc.reason}") from None
    except UnreachableError as exc:
        raise RegistryError(f"{endpoint} unreachable: {exc}") from None
    except BadResponseError as exc:
        raise RegistryError(f"{endpoint} answered something that is not a device registry: {exc}") from None
    return build(entries_from_backend(answer.model_dump(mode="json")))


def load_cache(path: Path) -> dict[bytes, Device]:
    """The last synced registry, or nothing if there is none or it is unreadable."""
    if not path.exists():
        return {}
    try:
        return load_file(path)
    except RegistryError as exc:
        log.warning("ignoring the registry cache: %s", exc)
        return {}


def sync(url: str, timeout: float, cache: Path) -> Mapping[bytes, Device]:
    """Fetch the registry and write the cache; raise :class:`RegistryError` if the backend fails."""
    devices = fetch(url, timeout)
    save_file(cache, devices)
    return devices
