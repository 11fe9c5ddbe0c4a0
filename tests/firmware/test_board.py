"""The board wiring (firmware/leasechain/board.py) under MicroPython, on stand-ins for machine and network.

``main()`` runs as on the ESP32: config.json, the LED, the watchdog, the
sensors on their buses, the key, Wi-Fi, NTP and MQTT through umqtt.simple's
interface; the stand-in watchdog ends the run after a few loop ticks.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from chain_client import message as host_message
from chain_client.payload import Birth, Reading
from firmware.leasechain import VERSION
from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import time, mptest, machine, network, ntptime
from umqtt import simple
data = mptest.inp()
if data["config"] is not None:
    with open("config.json", "w") as f:
        f.write(data["config"])
machine.feeds_left[0] = data["feeds"]
if data.get("button"):
    machine.levels[0] = 0
from leasechain import board
naps = []
def nap(ms):
    # A halted board sleeps forever, with no watchdog when its config is bad: end it here.
    naps.append(ms)
    if len(naps) > 12:
        raise machine.BoardStop()
    time.sleep_ms(ms)
board.sleep_ms = nap
logs = []
board._log = logs.append
try:
    board.main("config.json")
except machine.BoardStop:
    pass
mptest.out({
    "hw": machine.log,
    "joins": network.joins,
    "ntp": ntptime.calls,
    "mqtt": simple.events,
    "sent": [[t, mptest.hx(m), r, q] for t, m, r, q in simple.sent],
    "halted": len(naps) > 0,
    "log": logs,
})
"""

CONFIG = {
    "site": "plant-7",
    "wifi": {"ssid": "workshop", "password": "secret"},
    "mqtt": {"host": "gw.local", "port": 1884, "keepalive_s": 30, "timeout_s": 5},
    "period_s": 60,
    "watchdog_s": 30,
    "data_dir": "data",
    "pins": {"led": 5, "pulse": 4},
}


def _boot(micropython: MicroPython, flash: Path, config: Any, feeds: int, button: bool = False) -> Any:
    text = config if isinstance(config, str) or config is None else json.dumps(config)
    data = {"config": text, "feeds": feeds, "button": button}
    return run_mp(micropython, SCRIPT, data, flash=flash, hardware=True)


@pytest.mark.micropython
def test_the_board_comes_up_and_publishes_a_signed_reading(
    micropython: MicroPython, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    got = _boot(micropython, tmp_path, CONFIG, 3)
    hw = got["hw"]
    assert ["wdt", 30000] in hw
    assert ["i2c", 0, 21, 22, 400000] in hw
    assert ["adc", 34, 3] in hw
    assert ["irq", 4, 2] in hw  # pulse input, falling edge
    assert any(h[:2] == ["led", 5] for h in hw)
    assert got["joins"] == [["workshop", "secret"]]
    assert got["ntp"] == [["pool.ntp.org", 2]]
    events = got["mqtt"]
    device = json.loads(json.dumps(events[0]))[1].split("-", 2)[-1]
    assert events[0] == ["init", f"plant-7-{device}", "gw.local", 1884, device, "", 30]
    assert events[1] == ["will", f"leasechain/v1/dev/{device}/status", "offline", True, 1]
    assert events[2] == ["connect", 5]
    topics = [(t, retain, qos) for t, _, retain, qos in got["sent"]]
    prefix = f"leasechain/v1/dev/{device}/"
    assert topics == [(prefix + "status", True, 1), (prefix + "birth", False, 1), (prefix + "data", False, 1)]
    birth = host_message.verify_birth(bytes.fromhex(got["sent"][1][1])).body
    assert isinstance(birth, Birth)
    reading = host_message.verify(bytes.fromhex(got["sent"][2][1]), birth.public_key).body
    assert birth.firmware == VERSION
    assert isinstance(reading, Reading)
    # BME280 on the datasheet's example values, chip temperature, a clamp at 300 mA (not running).
    assert dict(reading.readings) == {1: 2508, 2: reading.readings[2], 3: 100653, 4: 300, 5: 4100, 6: 0}
    # Taken on the first tick, while Wi-Fi was still joining: before NTP answered.
    assert reading.time_synced is False
    assert abs(reading.time - time.time()) < 3600
    assert (tmp_path / "data" / "key.bin").exists()
    assert got["log"][0].startswith("created device key; device id ")
    assert got["log"][1] == f"boot 1 of device {device}, 0 readings waiting"
    assert "online" in got["log"]
    assert "clock synchronised" in got["log"]


@pytest.mark.micropython
def test_a_bad_config_or_damaged_key_stops_the_board(micropython: MicroPython, tmp_path: Path) -> None:
    bad = _boot(micropython, tmp_path / "a", {"mqtt": {"host": "gw"}, "perod_s": 5}, 3)
    assert bad["halted"] is True
    assert bad["sent"] == []
    assert not [h for h in bad["hw"] if h[0] == "wdt"]  # halted before the watchdog was armed
    assert bad["log"] == ["stopped: config: unknown key perod_s"]
    missing = _boot(micropython, tmp_path / "b", None, 3)
    assert missing["halted"] is True
    assert missing["log"] == ["stopped: config: cannot read config.json"]
    flash = tmp_path / "c"
    _boot(micropython, flash, CONFIG, 2)
    key = flash / "data" / "key.bin"
    key.write_bytes(key.read_bytes()[:-1] + bytes([key.read_bytes()[-1] ^ 1]))
    damaged = _boot(micropython, flash, CONFIG, 50)
    assert damaged["halted"] is True
    assert damaged["sent"] == []
    assert damaged["joins"] == []  # never went online with a key it cannot trust
    assert damaged["log"] == ["stopped: IdentityError: key file fails its checksum"]
    blinks = [h[2] for h in damaged["hw"] if h[:2] == ["led", 5]]
    assert 0 in blinks[1:]
    assert 1 in blinks[1:]  # the 5 Hz error pattern
    assert key.read_bytes()[-1:] != b""  # the damaged key is kept for the technician, not replaced


@pytest.mark.micropython
def test_maintenance_button_keeps_the_watchdog_off(micropython: MicroPython, tmp_path: Path) -> None:
    got = _boot(micropython, tmp_path, CONFIG, 3, button=True)
    assert got["log"] == ["maintenance: button on pin 0 held at reset; sensor not started"]
    assert not [h for h in got["hw"] if h[0] == "wdt"]
    assert got["sent"] == []
    assert not (tmp_path / "data").exists()
