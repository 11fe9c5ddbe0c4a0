"""Transports (firmware/leasechain/transport.py) under MicroPython: umqtt-shaped client, UART frames."""

from __future__ import annotations

from typing import Any

import pytest

from chain_client.uart import Deframer
from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import mptest
from leasechain.framing import UartTransport
from leasechain.transport import MqttTransport, TransportError

calls = []

class Sock:
    def __init__(self):
        self.timeouts = []
    def settimeout(self, t):
        self.timeouts.append(t)
    def connect(self, addr):
        calls.append(["sock.connect", addr, self.timeouts[:]])
        if Client.fail == "connect":
            raise OSError(113)
    def read(self, n):
        return b""
    def write(self, data, length=None):
        return len(data)
    def close(self):
        calls.append("sock.close")

class Net:
    # The socket module, as the transport's link uses it.
    @staticmethod
    def socket():
        return Sock()
    @staticmethod
    def getaddrinfo(host, port):
        return [(2, 1, 0, "", (host, port))]

class Client:
    # The parts of umqtt.simple 1.3.4's MQTTClient the transport uses, as 1.3.4 opens its socket.
    fail = None
    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0, ssl=False):
        calls.append(["init", client_id, server, port, user, password, keepalive, ssl])
        self.server = server
        self.port = port
        self.sock = None
    def set_last_will(self, topic, msg, retain=False, qos=0):
        calls.append(["will", topic, msg.decode(), retain, qos])
    def connect(self, clean_session=True):
        calls.append("connect")
        self.sock = Umqtt.socket.socket()
        self.sock.connect(Umqtt.socket.getaddrinfo(self.server, self.port)[0][-1])
    def publish(self, topic, msg, retain=False, qos=0):
        calls.append(["publish", topic, len(msg), retain, qos])
        if Client.fail == "publish":
            raise OSError(104)
    def ping(self):
        calls.append("ping")
    def check_msg(self):
        calls.append("check_msg")
    def disconnect(self):
        calls.append("disconnect")
        if Client.fail == "disconnect":
            raise OSError(9)

class Umqtt:
    # The module umqtt.simple: its client class and its socket global.
    MQTTClient = Client
    socket = "the module's own"

out = {}
t = MqttTransport("lc-dev", "broker.local", port=8883, user="dev", password="pw", keepalive=30,
                  timeout_s=5, client_module=Umqtt, socket_module=Net)
errors = []
try:
    t.publish("a/data", b"x")
except TransportError as exc:
    errors.append(str(exc))
t.connect("a/status", b"offline")
out["connected"] = t.connected
out["restored"] = Umqtt.socket
t.publish("a/data", b"12345")
t.ping()
sock = t._client.sock
sock.setblocking(True)
sock.setblocking(False)
out["timeouts"] = sock._raw.timeouts
Client.fail = "publish"
try:
    t.publish("a/data", b"x")
except TransportError as exc:
    errors.append(str(exc))
out["after_failure"] = t.connected
Client.fail = "connect"
try:
    t.connect("a/status", b"offline")
except TransportError as exc:
    errors.append(str(exc))
try:
    MqttTransport("lc-dev", "h").connect("a/status", b"offline")   # umqtt not on this interpreter's path
except TransportError as exc:
    errors.append(str(exc))
Client.fail = "disconnect"
t2 = MqttTransport("lc-dev", "h", client_module=Umqtt, socket_module=Net)
Client.fail = None
t2.connect("a/status", b"offline")
Client.fail = "disconnect"
t2.close()
t2.close()
out["errors"] = errors
out["calls"] = calls

class Uart:
    def __init__(self, short=False):
        self.data = bytearray()
        self.short = short
    def write(self, b):
        self.data.extend(b)
        return len(b) - (1 if self.short else 0)

uart = Uart()
u = UartTransport(uart)
u.connect("a/status", b"offline")
for m in mptest.inp():
    u.publish("a/data", mptest.unhx(m))
u.publish("a/status", b"online")
u.ping()
out["uart"] = mptest.hx(uart.data)
bad = UartTransport(Uart(short=True))
try:
    bad.publish("a/data", b"abc")
except TransportError as exc:
    out["short"] = [str(exc), bad.connected]
mptest.out(out)
"""


@pytest.fixture(scope="module")
def ran(micropython: MicroPython) -> Any:
    messages = [bytes(range(256)) * 3, b"\x00" * 10, b"reading"]
    return {"messages": messages, "out": run_mp(micropython, SCRIPT, [m.hex() for m in messages])}


@pytest.mark.micropython
def test_mqtt_sets_a_retained_will_and_publishes_qos1(ran: Any) -> None:
    out = ran["out"]
    calls = out["calls"]
    # No ssl argument: 1.3.4 would import ussl, which current MicroPython lacks; TLS is the link's.
    assert calls[0] == ["init", "lc-dev", "broker.local", 8883, "dev", "pw", 30, False]
    assert calls[1] == ["will", "a/status", "offline", True, 1]
    # The TCP connect already carries the timeout umqtt.simple 1.3.4 cannot set itself.
    assert calls[2:4] == ["connect", ["sock.connect", ["broker.local", 8883], [5]]]
    assert calls[4] == ["publish", "a/data", 5, False, 1]
    assert calls[5:7] == ["ping", "check_msg"]
    assert out["connected"] is True
    assert out["restored"] == "the module's own"  # umqtt.simple's socket global is put back
    # umqtt's setblocking(True) must not lose the timeout: no read can outlive the watchdog.
    assert out["timeouts"] == [5, 5, 0]


@pytest.mark.micropython
def test_mqtt_failures_are_transport_errors_and_close_never_raises(ran: Any) -> None:
    out = ran["out"]
    assert out["errors"] == [
        "MQTT is not connected",
        "MQTT publish to a/data failed: OSError(104,)",
        "MQTT connect to broker.local:8883 failed: OSError(113,)",
        "umqtt.simple is not installed; run: mpremote mip install firmware/package.json",
    ]
    assert out["after_failure"] is False
    assert out["calls"][-2:] == ["disconnect", "sock.close"]


@pytest.mark.micropython
def test_uart_frames_decode_on_the_gateway_side(ran: Any) -> None:
    out = ran["out"]
    stream = bytes.fromhex(out["uart"])
    assert stream[0] == 0  # resynchronises a receiver that saw half a frame
    assert Deframer().feed(stream) == ran["messages"]  # status text is not sent on the serial line
    assert out["short"] == ["UART wrote 8 of 9 bytes", False]
