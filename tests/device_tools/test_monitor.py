"""``monitor``: the board's first readings, decoded and verified live, from its serial line or the broker."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from chain_client import topics
from chain_client.message import verify
from chain_client.uart import encode_frame
from firmware.tools.device import monitor
from firmware.tools.device.errors import BrokerUnreachableError, NoReadingError, VerificationError
from harness.mosquitto import Mosquitto
from harness.ports import free_port
from harness.repl_pty import ReplBoard
from tests.device_tools.conftest import BoardFactory, CliRunner, Run

pytestmark = pytest.mark.micropython

UART_MAIN = Path(__file__).parent / "board" / "uart_main.py"


def _provisioned(
    make_board: BoardFactory, cli: CliRunner, tmp_path: Path, *flags: str
) -> tuple[ReplBoard, Path]:
    board = make_board(run_main=True)
    record = tmp_path / "sensor.json"
    run = cli("provision", "--port", board.port, "--site", "hall-3", *flags, "--out", str(record))
    assert run.code == 0, run.err
    return board, record


def _in_thread(cli: CliRunner, *argv: str) -> tuple[threading.Thread, list[Run]]:
    result: list[Run] = []
    thread = threading.Thread(target=lambda: result.append(cli(*argv)), daemon=True)
    thread.start()
    return thread, result


def _wait_until_opened(port: str, timeout: float = 30.0) -> None:
    """Until a second descriptor of this process (the monitor's) has ``port`` open, then a moment more."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        opened = 0
        for fd in os.listdir("/proc/self/fd"):
            try:
                opened += os.readlink(f"/proc/self/fd/{fd}") == port
            except OSError:
                continue
        if opened >= 2:  # the harness's own, and the monitor's
            time.sleep(0.2)  # past pyserial's input flush on open
            return
        time.sleep(0.02)
    raise TimeoutError(f"the monitor did not open {port}")


def _readings_from_the_board(
    make_board: BoardFactory, cli: CliRunner, tmp_path: Path
) -> tuple[Path, list[dict[str, Any]]]:
    """Provision a board for transport uart, press RESET, and watch its console; the monitor's events."""
    board, record = _provisioned(make_board, cli, tmp_path, "--transport", "uart")
    board.stop()
    shutil.copy2(UART_MAIN, board.flash / "main.py")
    board.start()
    thread, result = _in_thread(
        cli,
        "monitor",
        "--serial",
        "--port",
        board.port,
        "--record",
        str(record),
        "--count",
        "1",
        "--timeout",
        "60",
        "--json",
    )
    _wait_until_opened(board.port)
    assert board.process is not None
    board.process.send_signal(signal.SIGUSR1)  # press RESET: main.py runs the firmware
    thread.join(90)
    assert result, "monitor did not finish"
    run = result[0]
    assert run.code == 0, run.out
    return record, run.json["events"]


def test_first_reading_signed_on_the_board_is_verified_from_its_serial_line(
    make_board: BoardFactory, cli: CliRunner, tmp_path: Path
) -> None:
    record, events = _readings_from_the_board(make_board, cli, tmp_path)
    kinds = [e["kind"] for e in events]
    assert "birth" in kinds
    assert kinds[-1] == "reading"
    reading = events[-1]
    assert reading["boot"] == 2  # boot 1 was at power-on, before the monitor listened
    assert reading["seq"] == 0
    assert reading["readings"] == {"chip_temperature": 41.25}
    assert abs(reading["time"] - time.time()) < 120
    assert "rejected" not in kinds
    assert reading["device"] == json.loads(record.read_text())["device"]


def test_serial_console_splits_log_lines_from_frames() -> None:
    message = bytes.fromhex("d2") + b"\x00not-a-real-message\x00\x0a"
    frame = encode_frame(message)[:-1]
    parts = list(monitor.split_console(b"[leasechain] online\r\n" + frame))
    assert parts == [("text", b"[leasechain] online\r\n"), ("frame", message)]
    assert list(monitor.split_console(b"just text\n")) == [("text", b"just text\n")]


def _publish(broker: Mosquitto, topic: str, payload: bytes, retain: bool = False) -> None:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{time.monotonic_ns()}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def test_board_readings_are_verified_from_the_broker_and_forgeries_reported(
    make_board: BoardFactory, cli: CliRunner, tmp_path: Path, mosquitto: Mosquitto
) -> None:
    # The board signs its readings (over its console, as above); here they reach the broker the way
    # the board's Wi-Fi would deliver them, which the interpreter behind the pty has not got.
    record, events = _readings_from_the_board(make_board, cli, tmp_path)
    info = json.loads(record.read_text())
    public = bytes.fromhex(info["public_key"])
    device = bytes.fromhex(info["device"])
    birth = next(bytes.fromhex(e["raw"]) for e in events if e["kind"] == "birth")
    reading = next(bytes.fromhex(e["raw"]) for e in events if e["kind"] == "reading")
    assert verify(reading, public).device_id == device
    forged = bytearray(reading)
    forged[-1] ^= 1
    url = f"mqtt://{mosquitto.host}:{mosquitto.port}"
    thread, result = _in_thread(
        cli, "monitor", "--broker", url, "--record", str(record), "--count", "2", "--timeout", "30", "--json"
    )
    # Status is retained (protocol.md section 6), so it arrives whenever the monitor subscribes; the
    # rest is published until the monitor has what it waits for: two verified readings, so that at
    # least one forgery reached it between them.
    _publish(mosquitto, topics.topic(device, "status"), b"online", retain=True)
    while thread.is_alive():
        _publish(mosquitto, topics.topic(device, "data"), bytes(forged))
        _publish(mosquitto, topics.topic(device, "birth"), birth)
        _publish(mosquitto, topics.topic(device, "data"), reading)
        thread.join(0.5)
    thread.join(60)
    run = result[0]
    assert run.code == 0, run.out
    events = run.json["events"]
    assert events[0] == {"kind": "status", "status": "online", "source": topics.topic(device, "status")}
    rejected = [e for e in events if e["kind"] == "rejected"]
    assert rejected
    assert {e["reason"] for e in rejected} == {"bad_signature"}
    assert events[-1]["kind"] == "reading"
    assert events[-1]["digest"] == hashlib.sha256(reading).hexdigest()
    assert run.json["verified"] == 2
    assert run.json["rejected"] == len(rejected)


def test_monitor_failures_have_their_exit_codes(cli: CliRunner, mosquitto: Mosquitto) -> None:
    public = "11" * 32
    run = cli(
        "monitor", "--broker", f"mqtt://127.0.0.1:{free_port()}", "--public-key", public, "--timeout", "2"
    )
    assert run.code == BrokerUnreachableError.exit_code
    assert "unreachable" in run.err
    url = f"mqtt://{mosquitto.host}:{mosquitto.port}"
    run = cli("monitor", "--broker", url, "--public-key", public, "--timeout", "1", "--json")
    assert run.code == NoReadingError.exit_code
    assert "0 of 1 verified" in run.json["message"]
    run = cli("monitor", "--broker", url, "--public-key", "zz", "--timeout", "1")
    assert run.code == VerificationError.exit_code
    assert "'zz'" in run.err
    run = cli("monitor", "--broker", "http://x", "--public-key", public)
    assert run.code == BrokerUnreachableError.exit_code
    assert "mqtt://host" in run.err


def test_monitor_takes_key_and_broker_from_the_board(
    make_board: BoardFactory, cli: CliRunner, tmp_path: Path, mosquitto: Mosquitto
) -> None:
    flags = ("--mqtt-host", mosquitto.host, "--mqtt-port", str(mosquitto.port))
    board, record = _provisioned(make_board, cli, tmp_path, *flags)
    device = json.loads(record.read_text())["device"]
    run = cli("monitor", "--port", board.port, "--timeout", "1", "--json")
    assert run.code == NoReadingError.exit_code
    assert device in run.json["message"]
    fresh = make_board(name="unprovisioned")
    run = cli("monitor", "--port", fresh.port, "--broker", f"mqtt://{mosquitto.host}:{mosquitto.port}")
    assert run.code == VerificationError.exit_code
    assert "no device key yet" in run.err


def test_a_verified_reading_is_printed_with_its_time_and_units(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from nacl.signing import SigningKey

    from firmware.tools.device.cli import _print_event
    from tests.backend.world import reading

    key = SigningKey(bytes(32))
    event = monitor.verify(reading(key, seq=7, time=1_714_564_800, run_seconds=1800), bytes(key.verify_key))
    _print_event(argparse.Namespace(json=False))(event)
    assert capsys.readouterr().out == (
        "verified reading boot 1 seq 7 at 2024-05-01T12:00:00Z: temperature 21.50 °C, running yes; "
        "run 0.50 machine-hours, 7 cycles\n"
    )
    assert event["time"] == 1_714_564_800  # --json keeps Unix seconds
