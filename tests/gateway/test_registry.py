"""The registry file format and how sources merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.errors import RegistryError
from gateway.registry import Registry, load_file, save_file
from gateway.registry_sync import entries_from_backend
from tests.gateway.helpers import Sensor, write_registry


def test_file_round_trip_and_ids_derived_from_keys(tmp_path: Path) -> None:
    sensors = [Sensor.make(i) for i in range(3)]
    devices = load_file(write_registry(tmp_path / "r.json", sensors[:2], revoked=(sensors[2],)))
    assert set(devices) == {s.id for s in sensors}
    assert devices[sensors[2].id].revoked
    save_file(tmp_path / "copy.json", devices)
    assert load_file(tmp_path / "copy.json") == devices


def test_bad_files_name_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("{not json")
    with pytest.raises(RegistryError, match="not valid JSON"):
        load_file(path)
    path.write_text(json.dumps({"devices": [{"public_key": "zz"}]}))
    with pytest.raises(RegistryError, match=r"devices\.0\.public_key = 'zz'"):
        load_file(path)
    s = Sensor.make(1)
    path.write_text(json.dumps({"devices": [{"public_key": s.public_hex, "device_id": "00" * 16}]}))
    with pytest.raises(RegistryError, match="expected " + s.id.hex()):
        load_file(path)
    with pytest.raises(RegistryError, match="cannot read"):
        load_file(tmp_path / "missing.json")


def test_revocation_in_any_source_wins(tmp_path: Path) -> None:
    s = Sensor.make(9)
    active = load_file(write_registry(tmp_path / "a.json", [s]))
    revoked = load_file(write_registry(tmp_path / "b.json", [], revoked=(s,)))
    for order in ((active, revoked), (revoked, active)):
        registry = Registry()
        registry.merge(*order)
        device = registry.get(s.id)
        assert device is not None
        assert device.revoked


def test_backend_answer_is_validated() -> None:
    s = Sensor.make(1)
    answer = {
        "size": 9,
        "devices": [
            {
                "device": s.id.hex(),
                "public_key": s.public_hex,
                "token": "tok-1",
                "bound_at": 5,
                "status": "rotated",
                "ended_at": 70,
                "reason": "",
            },
        ],
    }
    entries = entries_from_backend(answer)
    assert entries[0].state == "rotated"
    assert entries[0].rotated_at == 70
    with pytest.raises(RegistryError, match="expected a list"):
        entries_from_backend({"devices": 3})
    with pytest.raises(RegistryError, match="item 0"):
        entries_from_backend([{"public_key": "nope"}])
