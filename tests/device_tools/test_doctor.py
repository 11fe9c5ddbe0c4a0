"""``doctor``: every check in order, and the first failure decides the exit status."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from firmware.tools.device.errors import BrokerUnreachableError, ClockNotSetError, ConfigError, FirmwareError
from firmware.tools.device.link import Board
from harness.mosquitto import Mosquitto
from harness.ports import free_port
from tests.device_tools.conftest import BoardFactory, CliRunner

pytestmark = pytest.mark.micropython


def _statuses(run_json: dict[str, object]) -> dict[str, str]:
    checks = run_json["checks"]
    assert isinstance(checks, list)
    return {c["check"]: c["status"] for c in checks}


def test_a_provisioned_board_passes_every_check_it_can_make(
    make_board: BoardFactory, cli: CliRunner, mosquitto: Mosquitto
) -> None:
    board = make_board()
    flags = ("--mqtt-host", mosquitto.host, "--mqtt-port", str(mosquitto.port), "--wifi-ssid", "plant")
    assert cli("provision", "--port", board.port, *flags).code == 0
    run = cli("doctor", "--port", board.port, "--json")
    assert run.code == 0, run.out
    assert _statuses(run.json) == {
        "port": "ok",
        "micropython": "ok",
        "firmware": "ok",
        "clock": "ok",
        "config": "ok",
        "wifi": "skip",  # the interpreter behind the pty has no network module: said, not faked
        "broker": "ok",
        "ledger": "skip",  # no ledger named (tests/device_tools/test_enroll.py names one)
    }
    details = {c["check"]: c["detail"] for c in run.json["checks"]}
    assert "1.27.0" in details["micropython"]
    assert "checked from this computer" in details["broker"]
    human = cli("doctor", "--port", board.port)
    assert "OK    firmware" in human.out
    assert re.search(r"OK    clock\s+board time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(within", human.out)


def test_doctor_failures_and_their_exit_codes(
    make_board: BoardFactory, cli: CliRunner, mosquitto: Mosquitto
) -> None:
    board = make_board()
    run = cli("doctor", "--port", board.port, "--json")
    assert run.code == ConfigError.exit_code
    assert _statuses(run.json)["config"] == "fail"
    dead = free_port()
    assert (
        cli("provision", "--port", board.port, "--mqtt-host", "127.0.0.1", "--mqtt-port", str(dead)).code == 0
    )
    run = cli("doctor", "--port", board.port, "--json")
    assert run.code == BrokerUnreachableError.exit_code
    assert f"127.0.0.1:{dead}" in run.json["message"]
    run = cli("doctor", "--port", board.port, "--broker", f"mqtt://{mosquitto.host}:{mosquitto.port}")
    assert run.code == 0
    board.stop()
    app = board.flash / "lib" / "leasechain" / "app.py"
    app.write_text(app.read_text() + "\n# patched in the field\n")
    board.start()
    run = cli("doctor", "--port", board.port, "--json")
    assert run.code == FirmwareError.exit_code
    assert "lib/leasechain/app.py" in run.json["message"]


def test_doctor_reports_an_unset_clock(
    make_board: BoardFactory, cli: CliRunner, mosquitto: Mosquitto
) -> None:
    board = make_board(rtc_unset=True)
    flags = ("--mqtt-host", mosquitto.host, "--mqtt-port", str(mosquitto.port))
    assert cli("provision", "--port", board.port, *flags, "--no-set-clock").code == ClockNotSetError.exit_code
    run = cli("doctor", "--port", board.port, "--json")
    assert run.code == ClockNotSetError.exit_code
    statuses = _statuses(run.json)
    assert statuses["clock"] == "fail"
    assert statuses["broker"] == "ok"  # later checks still ran


def test_doctor_on_a_board_without_firmware(make_board: BoardFactory, cli: CliRunner) -> None:
    board = make_board(flashed=False)
    run = cli("doctor", "--port", board.port, "--json")
    assert run.code == FirmwareError.exit_code
    assert _statuses(run.json) == {
        "port": "ok",
        "micropython": "ok",
        "firmware": "fail",
        "clock": "skip",
        "config": "skip",
        "wifi": "skip",
        "broker": "skip",
        "ledger": "skip",
    }


def test_no_port(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = cli("doctor", "--json")
    assert run.code == 3
    assert "LEASECHAIN_PORT" in run.json["message"]
    monkeypatch.setenv("LEASECHAIN_PORT", str(tmp_path / "ttyUSB9"))
    run = cli("provision", "--mqtt-host", "gw")
    assert run.code == 3
    assert "ttyUSB9" in run.err


def test_doctor_says_which_over_the_air_update_runs(make_board: BoardFactory, cli: CliRunner) -> None:
    board = make_board()

    def slot(text: str | None) -> None:
        # Written on the board (its flash is the interpreter's own file system while it runs).
        code = "import os\ntry:\n    os.mkdir('app')\nexcept OSError:\n    pass\n"
        if text is None:
            code += "os.remove('app/slot.json')\n"
        else:
            code += f"with open('app/slot.json', 'w') as f:\n    f.write({text!r})\n"
        with Board(board.port) as link:
            link.exec(code)

    def firmware_detail() -> str:
        checks = json.loads(cli("doctor", "--port", board.port, "--json").out)["checks"]
        return str(next(c for c in checks if c["check"] == "firmware")["detail"])

    slot('{"active": "1.1.0", "previous": "", "state": "trial", "boots": 1}')
    assert firmware_detail().endswith("; it runs over-the-air update 1.1.0 (on trial) from /app/1.1.0")
    slot('{"active": "", "event": {"state": "rolled_back", "version": "1.1.0", "reason": "crash_loop"}}')
    assert firmware_detail().endswith("; update 1.1.0 was rolled back (crash_loop)")
    slot(None)
    assert firmware_detail().endswith("every file as shipped")
