"""The test harness itself: the private broker and the MicroPython runner."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.harness.micropython import MicroPython
from tests.harness.mosquitto import Mosquitto


def _connects(broker: Mosquitto) -> bool:
    try:
        with socket.create_connection((broker.host, broker.port), timeout=0.5):
            return True
    except OSError:
        return False


def _roundtrip(broker: Mosquitto) -> bytes:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="harness")
    got: list[bytes] = []
    client.on_message = lambda _c, _u, msg: got.append(bytes(msg.payload))
    client.connect(broker.host, broker.port)
    client.subscribe("harness/t", qos=1)
    client.loop_start()
    try:
        client.publish("harness/t", b"ping", qos=1).wait_for_publish(5)
        for _ in range(100):
            if got:
                break
            time.sleep(0.05)
    finally:
        client.loop_stop()
        client.disconnect()
    return got[0] if got else b""


@pytest.mark.mosquitto
def test_private_broker_round_trips_and_restarts(mosquitto: Mosquitto) -> None:
    assert _roundtrip(mosquitto) == b"ping"
    mosquitto.kill()
    assert not _connects(mosquitto)
    mosquitto.start()
    assert _roundtrip(mosquitto) == b"ping"
    mosquitto.restart()
    assert _connects(mosquitto)


@pytest.mark.micropython
def test_micropython_runs_with_firmware_on_path(micropython: MicroPython) -> None:
    result = micropython.run_code("import sys\nprint(sys.implementation.name, '/firmware' in sys.path)\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["micropython", "True"]


@pytest.mark.micropython
def test_micropython_exit_status_and_traceback(micropython: MicroPython) -> None:
    assert micropython.run_code("import sys\nsys.exit(5)\n").returncode == 5
    failed = micropython.run_code("raise ValueError('bad sensor 7')\n")
    assert failed.returncode == 1
    assert "ValueError: bad sensor 7" in failed.stderr


@pytest.mark.micropython
def test_micropython_flash_survives_a_reset(micropython: MicroPython, tmp_path: Path) -> None:
    flash = tmp_path / "flash"
    script = (
        "import os\n"
        "try:\n    n = int(open('boots').read())\nexcept OSError:\n    n = 0\n"
        "open('boots', 'w').write(str(n + 1))\nprint(n + 1, len(os.urandom(32)))\n"
    )
    assert micropython.run_code(script, flash=flash).stdout.split() == ["1", "32"]
    assert micropython.run_code(script, flash=flash).stdout.split() == ["2", "32"]
    assert (flash / "boots").read_text() == "2"
