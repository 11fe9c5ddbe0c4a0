"""Watch a board's signed messages arrive and verify each one, from the broker or the serial line.

Every message is decoded and its Ed25519 signature checked on the exact bytes
received (chain_client), against the public key the technician provisioned
or the board itself reports, never against a key the message carries; a
birth message must moreover carry that same key.  What fails is reported
with the protocol's reason and never stops the watch.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as paho
import serial
from chain_client import topics
from chain_client.errors import ProtocolError
from chain_client.message import Message, check_signature, decode
from chain_client.payload import Birth, Reading
from chain_client.reasons import Reason
from chain_client.uart import decode_frame
from paho.mqtt.enums import CallbackAPIVersion

from firmware.tools.device.errors import BrokerUnreachableError, NoPortError

Event = dict[str, Any]
Listener = Callable[[Event], None]


@dataclass
class Watch:
    """Counts of a monitor run."""

    verified: int = 0
    births: int = 0
    rejected: list[Event] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def verify(raw: bytes, public_key: bytes) -> Event:
    """Decode and verify one message against ``public_key``; the JSON-ready event; ProtocolError."""
    message: Message = decode(raw)
    check_signature(message, public_key)
    body = message.body
    base: Event = {
        "device": message.device_id.hex(),
        "digest": message.digest.hex(),
        "size": len(raw),
        "raw": raw.hex(),
    }
    if isinstance(body, Birth):
        if body.public_key != public_key:
            raise ProtocolError(
                Reason.KID_MISMATCH, "birth message carries another public key than the provisioned one"
            )
        return {**base, "kind": "birth", "boot": body.boot, "time": body.time, "firmware": body.firmware}
    assert isinstance(body, Reading)
    return {
        **base,
        "kind": "reading",
        "boot": body.boot,
        "seq": body.seq,
        "time": body.time,
        "synced": body.time_synced,
        "readings": body.physical(),
        "run_seconds": body.run_seconds,
        "cycles": body.cycles,
        "dropped": body.dropped,
    }


def _judge(raw: bytes, public_key: bytes, source: str, watch: Watch, listener: Listener | None) -> None:
    try:
        event = verify(raw, public_key)
    except ProtocolError as exc:
        event = {
            "kind": "rejected",
            "reason": exc.reason.value,
            "detail": exc.detail,
            "size": len(raw),
            "raw": raw[:2048].hex(),
        }
        watch.rejected.append(event)
    else:
        if event["kind"] == "reading":
            watch.verified += 1
        else:
            watch.births += 1
    event["source"] = source
    watch.events.append(event)
    if listener is not None:
        listener(event)


def parse_broker(url: str) -> tuple[str, int]:
    """(host, port) of ``mqtt://host[:port]`` or ``host[:port]``."""
    parsed = urlparse(url if "://" in url else f"mqtt://{url}")
    if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
        raise BrokerUnreachableError(f"broker {url!r} is not mqtt://host[:port]")
    try:
        port = parsed.port or 1883
    except ValueError:
        raise BrokerUnreachableError(f"broker {url!r} has an invalid port") from None
    return parsed.hostname, port


def _client(client_id: str, user: str | None, password: str | None) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv311)
    if user:
        client.username_pw_set(user, password or None)
    return client


def check_broker(
    url: str, user: str | None = None, password: str | None = None, timeout: float = 5.0
) -> None:
    """Connect to the broker and wait for its CONNACK; BrokerUnreachableError says why not."""
    host, port = parse_broker(url)
    done: queue.Queue[Any] = queue.Queue()
    client = _client(f"lc-doctor-{time.monotonic_ns()}", user, password)
    client.on_connect = lambda _c, _u, _f, reason, _p: done.put(reason)
    try:
        client.connect(host, port, keepalive=10)
    except OSError as exc:
        raise BrokerUnreachableError(f"broker {host}:{port} is unreachable: {exc.strerror or exc}") from None
    client.loop_start()
    try:
        reason = done.get(timeout=timeout)
    except queue.Empty:
        raise BrokerUnreachableError(
            f"broker {host}:{port} gave no MQTT answer within {timeout:g} s"
        ) from None
    finally:
        client.disconnect()
        client.loop_stop()
    if reason.is_failure:
        raise BrokerUnreachableError(f"broker {host}:{port} refused the connection: {reason}")


def watch_broker(
    url: str,
    device: str,
    public_key: bytes,
    count: int = 1,
    timeout: float = 60.0,
    listener: Listener | None = None,
    user: str | None = None,
    password: str | None = None,
) -> Watch:
    """Subscribe to the device's topics until ``count`` readings verified or ``timeout`` passed."""
    host, port = parse_broker(url)
    inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
    connected = threading.Event()
    client = _client(f"lc-monitor-{device[:8]}-{time.monotonic_ns()}", user, password)

    def on_connect(c: paho.Client, _u: object, _f: object, reason: Any, _p: object) -> None:  # noqa: ANN401
        if not reason.is_failure:
            dev = bytes.fromhex(device)
            c.subscribe([(topics.topic(dev, kind), topics.QOS) for kind in topics.KINDS])
            connected.set()

    client.on_connect = on_connect
    client.on_message = lambda _c, _u, msg: inbox.put((msg.topic, bytes(msg.payload)))
    try:
        client.connect(host, port, keepalive=30)
    except OSError as exc:
        raise BrokerUnreachableError(f"broker {host}:{port} is unreachable: {exc.strerror or exc}") from None
    client.loop_start()
    watch = Watch()
    try:
        if not connected.wait(min(timeout, 10.0)):
            raise BrokerUnreachableError(f"broker {host}:{port} did not accept the subscription")
        deadline = time.monotonic() + timeout
        while watch.verified < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                topic, payload = inbox.get(timeout=remaining)
            except queue.Empty:
                break
            if topic.endswith("/status"):
                event: Event = {"kind": "status", "status": payload.decode(errors="replace"), "source": topic}
                watch.events.append(event)
                if listener is not None:
                    listener(event)
                continue
            _judge(payload, public_key, topic, watch, listener)
    finally:
        client.disconnect()
        client.loop_stop()
    return watch


def split_console(chunk: bytes) -> Iterator[tuple[str, bytes]]:
    """Split one 0x00-delimited chunk of the console into ("text", ...) and ("frame", message) parts.

    Log lines the firmware prints share the line with UART frames; a frame is
    recognised by decoding (its CRC-32 makes a false match negligible), the
    text before it is console output.
    """
    starts = [0] + [i + 1 for i, b in enumerate(chunk) if b == 0x0A]
    for start in starts:
        if start >= len(chunk):
            break
        try:
            message = decode_frame(chunk[start:])
        except ProtocolError:
            continue
        if start:
            yield "text", chunk[:start]
        yield "frame", message
        return
    if chunk:
        yield "text", chunk


def watch_serial(
    port: str,
    public_key: bytes,
    count: int = 1,
    timeout: float = 60.0,
    listener: Listener | None = None,
    baudrate: int = 115200,
) -> Watch:
    """Listen to the board's serial console for UART frames until ``count`` readings verified."""
    try:
        line = serial.serial_for_url(port, baudrate=baudrate, timeout=0.2)
    except (serial.SerialException, OSError) as exc:
        raise NoPortError(f"cannot open serial port {port!r}: {exc}") from None
    watch = Watch()
    buffer = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while watch.verified < count and time.monotonic() < deadline:
            data = line.read(4096)
            if not data:
                continue
            buffer += data
            while b"\x00" in buffer:
                end = buffer.index(b"\x00")
                chunk = bytes(buffer[:end])
                del buffer[: end + 1]
                for kind, part in split_console(chunk):
                    if kind == "frame":
                        _judge(part, public_key, port, watch, listener)
                    elif part.strip() and listener is not None:
                        listener({"kind": "console", "text": part.decode(errors="replace").rstrip()})
            if len(buffer) > 4096 and b"\x00" not in buffer:
                text, _, rest = bytes(buffer).rpartition(b"\n")
                if listener is not None and text.strip():
                    listener({"kind": "console", "text": text.decode(errors="replace").rstrip()})
                buffer = bytearray(rest)
    finally:
        line.close()
    return watch
