"""The gateway's MQTT client against a real Mosquitto, and a scripted broker for what Mosquitto won't do."""

from __future__ import annotations

import queue
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from chain_client import mqtt_codec as codec
from gateway.mqtt_client import Handlers, MqttClient, Options
from harness.mosquitto import Mosquitto
from tests.gateway.helpers import Publisher

pytestmark = pytest.mark.mosquitto


class _Recorder:
    """Handlers that record every call in one queue, in order."""

    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[str, object]] = queue.Queue()
        self.handlers = Handlers(
            connected=lambda n, present: self.calls.put(("connected", (n, present))),
            disconnected=lambda reason: self.calls.put(("disconnected", reason)),
            publishes=lambda n, items: self.calls.put(("publishes", (n, items))),
            oversize=lambda n, o: self.calls.put(("oversize", (n, o))),
            message=lambda topic, payload: self.calls.put(("message", (topic, payload))),
            subscribed=lambda codes: self.calls.put(("subscribed", codes)),
        )

    def next(self, kind: str, timeout: float = 10.0) -> object:
        """The value of the next call of ``kind`` (calls of other kinds before it are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            got, value = self.calls.get(timeout=max(0.01, deadline - time.monotonic()))
            if got == kind:
                return value

    def publishes(self, count: int) -> list[tuple[int, int, str, bytes]]:
        """(connection, packet id, topic, payload) of the next ``count`` QoS 1 messages."""
        out: list[tuple[int, int, str, bytes]] = []
        while len(out) < count:
            connection, items = cast(tuple[int, list[codec.Publish]], self.next("publishes"))
            out.extend((connection, mid, topic, payload) for mid, topic, payload in items)
        return out


@pytest.fixture
def client_of() -> Iterator[list[MqttClient]]:
    started: list[MqttClient] = []
    yield started
    for client in started:
        client.stop()


def _start(clients: list[MqttClient], options: Options) -> _Recorder:
    recorder = _Recorder()
    client = MqttClient(options, recorder.handlers)
    clients.append(client)
    client.start()
    return recorder


@pytest.mark.parametrize("v5", [False, True], ids=["3.1.1", "5"])
def test_messages_arrive_in_lists_and_only_acknowledged_ones_leave_the_session(
    mosquitto: Mosquitto, client_of: list[MqttClient], v5: bool
) -> None:
    options = Options(mosquitto.host, mosquitto.port, "gw", v5=v5, session_expiry=600)
    recorder = _start(client_of, options)
    assert recorder.next("connected") == (1, False)
    client_of[0].subscribe([("site/+/data", 1)])
    assert recorder.next("subscribed") == [1]
    publisher = Publisher(mosquitto.host, mosquitto.port)
    try:
        publisher.publish_all([(f"site/{n}/data", f"m{n}".encode()) for n in range(10)])
        publisher.publish("site/qos0/data", b"zero")  # once at QoS 1, once at QoS 0
        publisher.client.publish("site/qos0/data", b"zero", qos=0)
        got = recorder.publishes(11)
        assert [payload for *_, payload in got] == [f"m{n}".encode() for n in range(10)] + [b"zero"]
        assert recorder.next("message") == ("site/qos0/data", b"zero")
        # The first five are acknowledged; the others stay with the broker over a new connection.
        client_of[0].ack_qos1(1, [mid for _, mid, _, _ in got[:5]])
        time.sleep(0.5)
        client_of.pop().stop()
        again = _start(client_of, options)
        assert again.next("connected") == (1, True)
        redelivered = again.publishes(6)
        assert sorted(payload for *_, payload in redelivered) == sorted(
            [f"m{n}".encode() for n in range(5, 10)] + [b"zero"]
        )
    finally:
        publisher.close()


def test_an_ack_for_an_earlier_connection_is_not_sent(
    persistent_broker: Mosquitto, client_of: list[MqttClient]
) -> None:
    options = Options(persistent_broker.host, persistent_broker.port, "gw", v5=True, session_expiry=600)
    recorder = _start(client_of, options)
    client = client_of[0]
    assert recorder.next("connected") == (1, False)
    client.subscribe([("site/+/data", 1)])
    recorder.next("subscribed")
    publisher = Publisher(persistent_broker.host, persistent_broker.port)
    try:
        publisher.publish_all([("site/a/data", b"one")])
        ((_, mid, _, _),) = recorder.publishes(1)
    finally:
        publisher.close()
    persistent_broker.restart()
    assert recorder.next("disconnected", timeout=20)
    assert recorder.next("connected", timeout=20) == (2, True)
    client.ack_qos1(1, [mid])  # the id of connection 1 may name another message on connection 2
    assert recorder.publishes(1)[0][0] == 2  # the broker redelivers it on the new connection


# --- A scripted broker on a socket ------------------------------------------------------------------------


class _Script:
    """A one-connection TCP server that the test drives by hand."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.server.settimeout(10)
        self.peer: socket.socket | None = None

    def accept(self) -> socket.socket:
        self.peer, _ = self.server.accept()
        self.peer.settimeout(10)
        return self.peer

    def read_packet(self) -> tuple[int, bytes]:
        assert self.peer is not None
        reader = codec.Reader(v5=False)
        while True:
            data = self.peer.recv(1)
            if not data:
                raise EOFError
            events = reader.feed(data)
            if events:
                (packet,) = events
                assert isinstance(packet, codec.Packet)
                return packet.command, packet.body

    def close(self) -> None:
        if self.peer is not None:
            self.peer.close()
        self.server.close()


@pytest.fixture
def script() -> Iterator[_Script]:
    scripted = _Script()
    yield scripted
    scripted.close()


def test_a_refused_connection_is_reported_and_retried(script: _Script, client_of: list[MqttClient]) -> None:
    recorder = _start(client_of, Options("127.0.0.1", script.port, "gw", v5=False, reconnect_min=0.1))
    script.accept()
    command, body = script.read_packet()
    assert command == codec.CONNECT
    assert body[:7] == b"\x00\x04MQTT\x04"
    assert script.peer is not None
    script.peer.sendall(b"\x20\x02\x00\x05")  # CONNACK: not authorised
    assert recorder.next("disconnected") == "not authorised"
    script.peer.close()
    script.accept()  # tried again after the backoff
    assert script.read_packet()[0] == codec.CONNECT


def test_a_silent_broker_is_pinged_then_given_up(script: _Script, client_of: list[MqttClient]) -> None:
    recorder = _start(client_of, Options("127.0.0.1", script.port, "gw", v5=False, keepalive=1))
    peer = script.accept()
    script.read_packet()
    peer.sendall(b"\x20\x02\x00\x00")
    assert recorder.next("connected") == (1, False)
    started = time.monotonic()
    assert script.read_packet() == (codec.PINGREQ, b"")
    assert 0.5 < time.monotonic() - started < 3
    peer.sendall(b"\xd0\x00")  # PINGRESP: alive
    assert script.read_packet() == (codec.PINGREQ, b"")  # the next keepalive; this one goes unanswered
    reason = recorder.next("disconnected", timeout=5)
    assert isinstance(reason, str)
    assert reason.startswith("no answer from the broker")


def test_a_qos2_publish_breaks_the_protocol_and_ends_the_connection(
    script: _Script, client_of: list[MqttClient]
) -> None:
    recorder = _start(client_of, Options("127.0.0.1", script.port, "gw", v5=False, reconnect_min=5))
    peer = script.accept()
    script.read_packet()
    first = codec.publish_packet(b"t/data", b"one", 1, False, 1)
    peer.sendall(b"\x20\x02\x00\x00" + first + codec.publish_packet(b"t/data", b"two", 2, False, 2))
    assert recorder.next("publishes") == (1, [(1, "t/data", b"one")])
    assert recorder.next("disconnected") == "PUBLISH of QoS 2 on a QoS 1 subscription"


def test_acks_go_to_the_connection_they_name(script: _Script, client_of: list[MqttClient]) -> None:
    recorder = _start(client_of, Options("127.0.0.1", script.port, "gw", v5=False, reconnect_min=0.1))
    peer = script.accept()
    script.read_packet()
    peer.sendall(b"\x20\x02\x00\x00" + codec.publish_packet(b"t/data", b"one", 1, False, 9))
    assert recorder.next("publishes") == (1, [(9, "t/data", b"one")])
    peer.close()  # lost before the commit: packet id 9 means nothing on the next connection
    assert recorder.next("disconnected")
    peer = script.accept()
    script.read_packet()
    peer.sendall(b"\x20\x02\x01\x00" + codec.publish_packet(b"t/data", b"one", 1, False, 4))
    assert recorder.next("connected") == (2, True)
    assert recorder.next("publishes") == (2, [(4, "t/data", b"one")])
    client_of[0].ack_qos1(1, [9])  # the commit of the first delivery: not sent
    client_of[0].ack_qos1(2, [4])
    assert script.read_packet() == (codec.PUBACK, b"\x00\x04")


def test_stop_sends_the_queued_acks_then_disconnect(script: _Script, client_of: list[MqttClient]) -> None:
    recorder = _start(client_of, Options("127.0.0.1", script.port, "gw", v5=False))
    peer = script.accept()
    script.read_packet()
    peer.sendall(b"\x20\x02\x00\x00" + codec.publish_packet(b"t/data", b"one", 1, False, 9))
    assert recorder.next("publishes") == (1, [(9, "t/data", b"one")])
    client = client_of.pop()
    client.ack_qos1(1, [9])
    stopping = threading.Thread(target=client.stop)
    stopping.start()
    assert script.read_packet() == (codec.PUBACK, b"\x00\x09")
    assert script.read_packet() == (codec.DISCONNECT, b"")
    stopping.join(10)
    assert not stopping.is_alive()


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for 127.0.0.1 signed by it: (CA, server certificate, server key)."""
    ca_key, ca, key, request, cert = (directory / n for n in ("ca.key", "ca.crt", "s.key", "s.csr", "s.crt"))
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    run = [openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    subprocess.run(
        [*run, "-x509", "-days", "2", "-subj", "/CN=test CA", "-keyout", ca_key, "-out", ca],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [*run, "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", request], check=True, capture_output=True
    )
    extensions = directory / "san.cnf"
    extensions.write_text("subjectAltName = IP:127.0.0.1\n")
    subprocess.run(
        [
            openssl,
            "x509",
            "-req",
            "-in",
            request,
            "-CA",
            ca,
            "-CAkey",
            ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            extensions,
            "-out",
            cert,
        ],
        check=True,
        capture_output=True,
    )
    return ca, cert, key


def test_tls_with_the_sites_ca(tmp_path: Path, client_of: list[MqttClient]) -> None:
    ca, cert, key = _certificates(tmp_path)
    broker = Mosquitto(tmp_path / "broker")
    broker.config.write_text(
        broker.config.read_text() + f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
    )  # the listener above now speaks TLS
    broker.start()
    try:
        options = Options(broker.host, broker.port, "gw", v5=True, tls_ca_file=str(ca), session_expiry=60)
        recorder = _start(client_of, options)
        assert recorder.next("connected") == (1, False)
        client_of[0].subscribe([("site/+/data", 1)])
        assert recorder.next("subscribed") == [1]
        untrusted = _start(client_of, Options(broker.host, broker.port, "other", v5=True, tls_ca_file=None))
        reason = untrusted.next("disconnected")
        assert isinstance(reason, str)
        assert reason  # plain MQTT to a TLS listener fails
    finally:
        for client in client_of:
            client.stop()
        client_of.clear()
        broker.kill()
