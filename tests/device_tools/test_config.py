"""``config get`` / ``config set`` on a provisioned board, ``ports``, ``--port auto`` and ``--version``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from firmware.tools.device import ports
from firmware.tools.device.errors import NoPortError
from tests.device_tools.conftest import BoardFactory, CliRunner

pytestmark = pytest.mark.micropython

SITE = (
    "--site",
    "hall-3",
    "--mqtt-host",
    "gw.hall-3.example",
    "--wifi-ssid",
    "plant",
    "--wifi-password",
    "s3cret",
)


def test_set_changes_one_key_and_keeps_the_rest(make_board: BoardFactory, cli: CliRunner) -> None:
    board = make_board()
    assert cli("provision", "--port", board.port, *SITE).code == 0
    run = cli("config", "set", "site", "hall-4", "--port", board.port)
    assert run.code == 0, run.err
    written = json.loads((board.flash / "config.json").read_text())
    assert written["site"] == "hall-4"
    assert written["mqtt"]["host"] == "gw.hall-3.example"  # not "mqtt.host must be set"
    assert cli("config", "set", "mqtt.port", "1884", "--port", board.port).code == 0
    assert json.loads((board.flash / "config.json").read_text())["mqtt"]["port"] == 1884

    got = cli("config", "get", "mqtt.port", "--port", board.port, "--json").json
    assert (got["value"], got["default"]) == (1884, False)
    got = cli("config", "get", "period_s", "--port", board.port, "--json").json
    assert (got["value"], got["default"]) == (60, True)
    whole = cli("config", "get", "--port", board.port, "--json").json["config"]
    assert whole["wifi"] == {"ssid": "plant", "password": "***"}
    shown = cli("config", "get", "wifi.password", "--show-secrets", "--port", board.port, "--json").json
    assert shown["value"] == "s3cret"


def test_the_board_refuses_a_bad_value_and_keeps_its_file(make_board: BoardFactory, cli: CliRunner) -> None:
    board = make_board()
    assert cli("provision", "--port", board.port, *SITE).code == 0
    before = (board.flash / "config.json").read_text()
    run = cli("config", "set", "mqtt.port", "many", "--port", board.port)
    assert run.code != 0
    assert "mqtt.port must be int, got 'many'" in run.err
    run = cli("config", "set", "mqtt.prot", "1", "--port", board.port)
    assert "unknown config key 'mqtt.prot'" in run.err
    assert (board.flash / "config.json").read_text() == before


def test_auto_takes_the_only_usb_port_and_names_the_choices_otherwise() -> None:
    one = [
        ports.PortInfo("/dev/ttyS0", "", "", ""),
        ports.PortInfo("/dev/ttyUSB0", "CP2102", "10c4:ea60", "01"),
    ]
    assert ports.auto_port(one) == "/dev/ttyUSB0"
    with pytest.raises(NoPortError, match="no USB serial port found"):
        ports.auto_port(one[:1])
    two = [*one, ports.PortInfo("/dev/ttyACM0", "ESP32-S3", "303a:1001", "")]
    with pytest.raises(NoPortError, match=r"2 USB serial ports \(/dev/ttyUSB0 \(CP2102\), /dev/ttyACM0"):
        ports.auto_port(two)


def test_a_port_held_by_another_program_is_named(make_board: BoardFactory, cli: CliRunner) -> None:
    board = make_board()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import time\nf = open({board.port!r}, 'rb', buffering=0)\ntime.sleep(30)"]
    )
    try:
        deadline = time.monotonic() + 10
        while not ports.holders(board.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert holder.pid in [pid for pid, _ in ports.holders(board.port)]
        assert f"(pid {holder.pid})" in ports.busy_hint(board.port)
        run = cli("ports", "--json")
        assert run.code == 0
    finally:
        holder.kill()
        holder.wait()


def test_every_console_script_has_version() -> None:
    for script in (
        "leasechain",
        "leasechain-backend",
        "leasechain-gateway",
        "leasechain-sim",
        "leasechain-explorer",
        "leasechain-device",
    ):
        out = subprocess.run(
            [str(Path(sys.executable).parent / script), "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        assert out.startswith(f"{script} "), out


def test_the_wifi_password_is_read_not_taken_from_the_command_line(
    make_board: BoardFactory, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    board = make_board()
    monkeypatch.setattr(sys, "stdin", io.StringIO("typed secret\n"))
    site = ("--site", "hall-3", "--mqtt-host", "gw.example", "--wifi-ssid", "plant", "--wifi-password", "-")
    assert cli("provision", "--port", board.port, *site).code == 0
    assert json.loads((board.flash / "config.json").read_text())["wifi"]["password"] == "typed secret"


def test_mirror_builds_an_index_flash_can_install_from(cli: CliRunner, tmp_path: Path) -> None:
    run = cli("mirror", "--out", str(tmp_path / "index"), "--json")
    assert run.code == 0, run.err
    assert run.json["packages"] == ["umqtt.simple"]
    body = json.loads((tmp_path / "index" / "package" / "py" / "umqtt.simple" / "latest.json").read_text())
    assert body["version"] == "1.3.4"
    assert [path for path, _ in body["hashes"]] == ["umqtt/simple.py"]
