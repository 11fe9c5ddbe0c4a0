"""A small asyncio MQTT 3.1.1 publisher: QoS 0/1, last will, keep-alive, nothing else.

Each virtual device holds one connection.  A connection is an
``asyncio.Protocol`` (no task, no thread of its own), so one process holds
tens of thousands of them: the event loop only wakes for bytes and timers.
A publish at QoS 1 returns once the broker's PUBACK arrives, the same
contract as the firmware's transport (firmware/leasechain/transport.py).

Why not a library: paho-mqtt runs a select loop per client, aiomqtt wraps
paho (a thread-free loop, but paho's per-client bookkeeping and Python-level
packet handling on every call), gmqtt is MQTT 5 first.  A publisher needs
four packet types; their bytes come from the project's MQTT codec
(chain_client/mqtt_codec.py, shared with the gateway), which keeps the
per-message cost to building one bytes object and resolving one future
(docs/simulator.md).
"""

from __future__ import annotations

import asyncio

from chain_client import mqtt_codec as codec
from simulator.errors import MqttError


class _Protocol(asyncio.Protocol):
    def __init__(self, owner: MqttConnection) -> None:
        self.owner = owner
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self.owner._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buf = self.buffer + data if self.buffer else data
        pos = 0
        end = len(buf)
        owner = self.owner
        while end - pos >= 2:
            # Every packet a publisher receives is short, but longer ones are framed properly
            # so that no broker can desynchronise us.
            try:
                found = codec.decode_varint(buf, pos + 1, end)
            except codec.MalformedPacketError:
                owner._fail(MqttError(f"malformed remaining length from broker at byte {pos + 1}"))
                return
            if found is None:
                self.buffer = buf[pos:]
                return
            length, i = found
            if end - i < length:
                break
            owner._packet(buf[pos] & 0xF0, buf[i : i + length])
            pos = i + length
        self.buffer = buf[pos:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._lost(exc)


class MqttConnection:
    """One MQTT 3.1.1 client connection; ``await connect()``, ``await publish()``, ``close()``."""

    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        *,
        keepalive: int = 60,
        will: codec.Will | None = None,
        clean: bool = True,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.client_id = client_id
        self.keepalive = keepalive
        self.will = will
        self.clean = clean
        self.username = username
        self.password = password
        self._transport: asyncio.Transport | None = None
        self._connack: asyncio.Future[int] | None = None
        self._inflight: dict[int, asyncio.Future[None]] = {}
        self._next_id = 0
        self._ping: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.connected = False
        self.error: Exception | None = None

    async def connect(self, timeout: float = 10.0) -> None:
        """Open the TCP connection, send CONNECT and wait for an accepting CONNACK."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self.error = None
        self._connack = loop.create_future()
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda: _Protocol(self), self.host, self.port), timeout
            )
        except (OSError, TimeoutError) as exc:
            raise MqttError(f"cannot reach broker {self.host}:{self.port}: {exc!r}") from None
        assert self._transport is not None
        self._transport.write(
            codec.connect_packet(
                self.client_id,
                self.keepalive,
                will=self.will,
                clean=self.clean,
                username=self.username,
                password=self.password,
            )
        )
        try:
            code = await asyncio.wait_for(self._connack, timeout)
        except TimeoutError:
            self.abort()
            raise MqttError(f"no CONNACK from {self.host}:{self.port} within {timeout} s") from None
        if code != 0:
            self.abort()
            reason = codec.CONNACK_V3_REASONS.get(code, "unknown")
            raise MqttError(f"broker refused client {self.client_id!r}: code {code} ({reason})", code)
        self.connected = True
        self._arm_ping()

    def _arm_ping(self) -> None:
        if self.keepalive and self._loop is not None:
            self._ping = self._loop.call_later(self.keepalive * 0.75, self._send_ping)

    def _send_ping(self) -> None:
        if self.connected and self._transport is not None:
            self._transport.write(codec.PINGREQ_PACKET)
            self._arm_ping()

    async def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        """Publish; at QoS 1 return after the broker's PUBACK.  Raises MqttError if the link fails."""
        await self.publish_future(topic, payload, qos, retain)

    def publish_future(
        self, topic: str, payload: bytes, qos: int = 1, retain: bool = False
    ) -> asyncio.Future[None]:
        """Write a PUBLISH now; the future resolves at its PUBACK (at once for QoS 0)."""
        transport = self._transport
        assert self._loop is not None
        future: asyncio.Future[None] = self._loop.create_future()
        if not self.connected or transport is None:
            future.set_exception(MqttError(f"client {self.client_id!r} is not connected"))
            return future
        packet_id = 0
        if qos:
            packet_id = self._next_id % 65535 + 1
            self._next_id = packet_id
            self._inflight[packet_id] = future
        transport.write(codec.publish_packet(topic.encode(), payload, qos, retain, packet_id))
        if not qos:
            future.set_result(None)
        return future

    def _packet(self, kind: int, body: bytes) -> None:
        if kind == codec.PUBACK:
            if len(body) >= 2:
                future = self._inflight.pop((body[0] << 8) | body[1], None)
                if future is not None and not future.done():
                    future.set_result(None)
        elif kind == codec.CONNACK:
            if self._connack is not None and not self._connack.done():
                self._connack.set_result(body[1] if len(body) >= 2 else 255)
        elif kind == codec.PINGRESP:
            pass
        else:
            self._fail(MqttError(f"unexpected packet type 0x{kind:02x} from broker"))

    def _fail(self, exc: Exception) -> None:
        self.error = exc
        self.abort()

    def _lost(self, exc: Exception | None) -> None:
        self.connected = False
        self._transport = None
        if self._ping is not None:
            self._ping.cancel()
            self._ping = None
        error = self.error or MqttError(
            f"connection of {self.client_id!r} to {self.host}:{self.port} lost"
            + (f": {exc!r}" if exc else "")
        )
        if self._connack is not None and not self._connack.done():
            self._connack.set_exception(error)
            self._connack.exception()  # mark retrieved: connect() reports it
        inflight, self._inflight = self._inflight, {}
        for future in inflight.values():
            if not future.done():
                future.set_exception(error)
                future.exception()  # mark retrieved; the awaiting publisher re-raises it

    @property
    def pending(self) -> int:
        """QoS 1 publishes still waiting for their PUBACK."""
        return len(self._inflight)

    def disconnect(self) -> None:
        """Polite close: DISCONNECT first, so the broker discards the last will."""
        if self._transport is not None and self.connected:
            self._transport.write(codec.disconnect_packet())
            self._transport.close()
        self.connected = False

    def abort(self) -> None:
        """Drop the TCP connection without DISCONNECT (the broker publishes the will)."""
        self.connected = False
        if self._transport is not None:
            self._transport.abort()
