"""The board's config.json (firmware/leasechain/config.py) under MicroPython: defaults and bad values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import mptest
from leasechain import config
out = []
for text in mptest.inp():
    try:
        cfg = config.parse(text)
        out.append({"ok": cfg})
    except config.ConfigError as exc:
        out.append({"error": str(exc)})
# Every default, written out in full, is itself a valid file.
import json
full = json.loads(json.dumps(config.DEFAULTS))
full["mqtt"]["host"] = "gw.local"
out.append({"ok": config.parse(json.dumps(full))})
try:
    config.load("missing.json")
except config.ConfigError as exc:
    out.append({"error": str(exc)})
mptest.out(out)
"""

MINIMAL = {"mqtt": {"host": "gw.local"}}


EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "firmware.example.json"


def _cases() -> list[tuple[object, str | dict[str, object]]]:
    return [
        (MINIMAL, "ok"),
        (
            {"site": "plant-7", "period_s": 30, "pins": {"led": -1}, "mqtt": {"host": "gw", "port": 8883}},
            "ok",
        ),
        ({"transport": "uart"}, "ok"),
        ({"mqtt": {"host": "gw"}, "wifi": {"ssid": "shop", "pasword": "x"}}, "unknown key wifi.pasword"),
        ({"mqtt": {"host": "gw"}, "periods": 5}, "unknown key periods"),
        ({"mqtt": {"host": "gw"}, "period_s": "60"}, "period_s must be int, got '60'"),
        ({"mqtt": {"host": "gw"}, "period_s": 0}, "period_s must be positive, got 0"),
        ({"mqtt": {"host": "gw"}, "bme280": {"enabled": 1}}, "bme280.enabled must be bool, got 1"),
        ({"mqtt": {"host": "gw"}, "mqtt.port": 1}, "unknown key mqtt.port"),
        ({"mqtt": {"host": "gw", "port": True}}, "mqtt.port must be int, got True"),
        ({"mqtt": {"host": "gw"}, "transport": "lora"}, "transport must be one of mqtt, uart, got 'lora'"),
        ({"mqtt": {"host": "gw"}, "pins": 5}, "pins must be an object, got 5"),
        ({}, "mqtt.host must be set when transport is mqtt"),
        (
            {"mqtt": {"host": "gw", "tls": True}},
            "mqtt.ca_file must name the broker's CA certificate when mqtt.tls is true",
        ),
        ([1, 2], "config must be an object, got [1, 2]"),
        (json.loads(EXAMPLE.read_text()), "ok"),  # the example shipped in configs/
    ]


@pytest.mark.micropython
def test_config_keys_defaults_and_errors(micropython: MicroPython) -> None:
    cases = _cases()
    texts = [json.dumps(c) for c, _ in cases] + ["{not json"]
    got = run_mp(micropython, SCRIPT, texts)
    for (given, expected), result in zip(cases, got, strict=False):
        if expected == "ok":
            assert "ok" in result, (given, result)
        else:
            assert result == {"error": expected}, given
    minimal = got[0]["ok"]
    assert minimal["period_s"] == 60
    assert minimal["pins"] == {
        "sda": 21,
        "scl": 22,
        "current_adc": 34,
        "pulse": 27,
        "led": 2,
        "maintenance": 0,
    }
    assert minimal["mqtt"]["port"] == 1883
    assert minimal["wifi"] == {"ssid": "", "password": ""}
    assert got[1]["ok"]["pins"]["led"] == -1
    assert got[1]["ok"]["pins"]["sda"] == 21  # a partial object keeps the other defaults
    assert got[len(cases)]["error"].startswith("config is not valid JSON")
    assert got[len(cases) + 1]["ok"]["mqtt"]["host"] == "gw.local"
    assert got[len(cases) + 2] == {"error": "cannot read missing.json"}
