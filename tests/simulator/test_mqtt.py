"""The asyncio MQTT publisher against a real Mosquitto: QoS 1, retained status, last will, failures."""

from __future__ import annotations

import asyncio
import threading

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from chain_client.mqtt_codec import Will
from harness.mosquitto import Mosquitto
from harness.ports import free_port
from simulator.errors import MqttError
from simulator.mqtt import MqttConnection

pytestmark = pytest.mark.mosquitto


class Subscriber:
    """A paho client collecting everything under a topic filter."""

    def __init__(self, port: int, pattern: str) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self.ready = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda c, *_: c.subscribe(pattern, 1)
        self.client.on_subscribe = lambda *_: self.ready.set()
        self.client.on_message = lambda _c, _u, m: self.messages.append((m.topic, bytes(m.payload), m.retain))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.ready.wait(10)

    def wait(self, count: int, timeout: float = 10.0) -> None:
        for _ in range(int(timeout * 20)):
            if len(self.messages) >= count:
                return
            threading.Event().wait(0.05)
        raise AssertionError(f"got {len(self.messages)} messages, expected {count}")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_qos1_publishes_arrive_in_order_and_the_will_fires_on_abort(mosquitto: Mosquitto) -> None:
    sub = Subscriber(mosquitto.port, "t/#")

    async def scenario() -> None:
        conn = MqttConnection("127.0.0.1", mosquitto.port, "pub-1", will=Will("t/status", b"offline"))
        await conn.connect()
        await conn.publish("t/status", b"online", retain=True)
        for i in range(200):
            conn.publish_future("t/data", b"%d" % i)
        await conn.publish("t/data", b"last")
        assert conn.pending == 0
        conn.abort()
        await asyncio.sleep(0.2)

    asyncio.run(scenario())
    sub.wait(203)
    sub.close()
    data = [p for t, p, _ in sub.messages if t == "t/data"]
    assert data == [b"%d" % i for i in range(200)] + [b"last"]
    status = [p for t, p, _ in sub.messages if t == "t/status"]
    assert status == [b"online", b"offline"]


def test_a_polite_disconnect_sends_no_will(mosquitto: Mosquitto) -> None:
    sub = Subscriber(mosquitto.port, "w/#")

    async def scenario() -> None:
        conn = MqttConnection("127.0.0.1", mosquitto.port, "pub-2", will=Will("w/status", b"offline"))
        await conn.connect()
        await conn.publish("w/data", b"x")
        conn.disconnect()
        await asyncio.sleep(0.3)

    asyncio.run(scenario())
    sub.wait(1)
    sub.close()
    assert [t for t, _, _ in sub.messages] == ["w/data"]


def test_failures_raise_mqtt_errors(mosquitto: Mosquitto) -> None:
    async def unreachable() -> None:
        await MqttConnection("127.0.0.1", free_port(), "nobody").connect(timeout=2)

    with pytest.raises(MqttError, match="cannot reach broker"):
        asyncio.run(unreachable())

    async def broker_dies() -> None:
        conn = MqttConnection("127.0.0.1", mosquitto.port, "pub-3")
        await conn.connect()
        mosquitto.kill()
        await asyncio.sleep(0.2)
        with pytest.raises(MqttError, match=r"not connected|lost"):
            await conn.publish("t/data", b"after")

    asyncio.run(broker_dies())
