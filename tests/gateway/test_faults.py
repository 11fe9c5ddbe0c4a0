"""Fault tests: kill -9 of the gateway under load, and a broker restart mid-stream."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from harness.mosquitto import Mosquitto
from tests.gateway.helpers import (
    GatewayProcess,
    Publisher,
    Sensor,
    basic_config,
    counter,
    stored_raws,
    wait_until,
    write_registry,
)

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow]


def _traffic(sensors: list[Sensor], per_sensor: int) -> list[tuple[str, bytes]]:
    return [(s.topic, s.reading()) for _ in range(per_sensor) for s in sensors]


def test_kill_9_under_load_loses_nothing_and_stores_nothing_twice(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    sensors = [Sensor.make(100 + i) for i in range(20)]
    config = basic_config(tmp_path, write_registry(tmp_path / "r.json", sensors), broker_port=mosquitto.port)
    state = tmp_path / "state"
    gateway = GatewayProcess(config, tmp_path)
    gateway.start()
    items = _traffic(sensors, 150)  # 3000 readings
    publisher = Publisher(mosquitto.host, mosquitto.port)
    sender = threading.Thread(target=publisher.publish_all, args=(items, 120.0))
    try:
        sender.start()
        # Kill while messages are flowing: some stored and acknowledged, some in flight.
        wait_until(lambda: counter(state, "stored") >= 600, timeout=60, what="600 readings stored")
        gateway.kill()
        killed_at = counter(state, "stored")
        assert killed_at < len(items), "the load finished before the kill; raise the message count"
        sender.join(timeout=120)
        assert not sender.is_alive()
        gateway.start()
        wait_until(lambda: len(stored_raws(state)) >= len(items), timeout=90, what="every reading stored")
        stored = stored_raws(state)
        assert len(stored) == len(items)
        assert set(stored) == {raw for _t, raw in items}
    finally:
        publisher.close()
        gateway.kill()


def test_broker_restart_mid_stream(persistent_broker: Mosquitto, tmp_path: Path) -> None:
    mosquitto = persistent_broker
    sensors = [Sensor.make(200 + i) for i in range(5)]
    config = basic_config(tmp_path, write_registry(tmp_path / "r.json", sensors), broker_port=mosquitto.port)
    state = tmp_path / "state"
    gateway = GatewayProcess(config, tmp_path)
    gateway.start()
    first = _traffic(sensors, 40)
    second = _traffic(sensors, 40)
    try:
        publisher = Publisher(mosquitto.host, mosquitto.port)
        publisher.publish_all(first)
        publisher.close()
        mosquitto.restart()
        # Published while the gateway is still reconnecting: the broker queues them in its session.
        publisher = Publisher(mosquitto.host, mosquitto.port)
        publisher.publish_all(second)
        publisher.close()
        wait_until(lambda: len(stored_raws(state)) >= len(first) + len(second), timeout=60, what="all stored")
        stored = stored_raws(state)
        assert len(stored) == len(first) + len(second)
        assert set(stored) == {raw for _t, raw in first + second}
        assert gateway.terminate() == 0
    finally:
        gateway.kill()
