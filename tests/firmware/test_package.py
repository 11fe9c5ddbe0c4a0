"""The mip manifest (firmware/package.json): what goes onto the board, and what mip fetches."""

from __future__ import annotations

import json
import re

from firmware import leasechain
from harness.micropython import REPO

FIRMWARE = REPO / "firmware"


def _manifest() -> dict[str, list[list[str]] | str]:
    data: dict[str, list[list[str]] | str] = json.loads((FIRMWARE / "package.json").read_text())
    return data


def _board_files() -> set[str]:
    device = {p.relative_to(FIRMWARE).as_posix() for p in (FIRMWARE / "leasechain").rglob("*")}
    device = {p for p in device if p.endswith((".py", ".bin")) and "__pycache__" not in p}
    return device | {"lcboot.py"}  # the copy chooser, outside the package an update replaces


def test_manifest_lists_exactly_the_device_files() -> None:
    urls = _manifest()["urls"]
    assert isinstance(urls, list)
    # Relative sources: `mpremote mip install firmware/package.json` from a checkout puts
    # the package in the board's /lib; boot.py and main.py are copied to / on their own.
    for dest, source in urls:
        assert dest == source, dest
        assert (FIRMWARE / source).is_file(), source
    assert {dest for dest, _ in urls} == _board_files()
    assert not any(d.startswith("tools/") for d, _ in urls)  # host tools stay on the host
    assert (FIRMWARE / "boot.py").is_file()
    assert (FIRMWARE / "main.py").read_text().count("board.main(slot=slot)") == 1


def test_umqtt_comes_from_micropython_lib_not_from_the_repo() -> None:
    deps = _manifest()["deps"]
    assert ["umqtt.simple", "latest"] in deps
    assert not list(REPO.glob("firmware/**/umqtt*"))
    transport = (FIRMWARE / "leasechain" / "transport.py").read_text()
    assert "from umqtt import simple as mod" in transport


def test_manifest_version_is_the_firmware_version() -> None:
    assert _manifest()["version"] == leasechain.VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", leasechain.VERSION)
