"""The gateway's MQTT client: a persistent session, QoS 1 deliveries in lists, acknowledgements in one write.

Built on :mod:`chain_client.mqtt_codec` and the standard library, so it
relies on no library's internals.  One network thread owns the socket: it
connects (MQTT 3.1.1 or 5, TCP or TLS), keeps the connection alive, reads
up to :data:`READ_SIZE` bytes per ``recv`` and hands every QoS 1 PUBLISH
those bytes complete to :attr:`Handlers.publishes` as one list, writes what
other threads queued, and after a loss reconnects with exponential backoff.

Acknowledgement is manual: :meth:`MqttClient.ack_qos1` queues the PUBACKs of
a whole commit as one write, for the connection they name; an ack meant for
an earlier connection is dropped (packet ids only mean something within one
connection, and the broker redelivers the message on the new one).

QoS 0 messages go to :attr:`Handlers.message` and need no acknowledgement.
A broker never sends QoS 2 to a QoS 1 subscription; one that does breaks the
protocol and the connection is dropped.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chain_client import mqtt_codec as codec
from gateway.threads import Spawn, daemon

log = logging.getLogger(__name__)

READ_SIZE = 65536  # bytes asked of one recv: a few hundred readings


@dataclass(frozen=True)
class Options:
    """Where and how to connect."""

    host: str
    port: int
    client_id: str
    v5: bool = True
    keepalive: int = 60
    session_expiry: int = 0  # MQTT 5: seconds the broker keeps the session after a loss
    username: str | None = None
    password: str | None = None
    tls_ca_file: str | None = None
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0
    stream_above: int | None = None  # QoS 1 payloads over this many bytes are read past (Oversize)
    connect_timeout: float = 10.0


def _ignore(*_args: object) -> None:
    return None


@dataclass
class Handlers:
    """Called on the network thread, in the order of the stream; none may raise."""

    # (connection number, session present), once the broker accepted the connection
    connected: Callable[[int, bool], None] = _ignore
    # a reason, after a connection ended (or failed), before the next attempt
    disconnected: Callable[[str], None] = _ignore
    # (connection number, [(packet id, topic, payload)]) for QoS 1 PUBLISHes
    publishes: Callable[[int, list[codec.Publish]], None] = _ignore
    # (connection number, codec.Oversize) for a QoS 1 PUBLISH read past
    oversize: Callable[[int, codec.Oversize], None] = _ignore
    # (topic, payload) of a QoS 0 PUBLISH
    message: Callable[[str, bytes], None] = _ignore
    # the reason codes the broker gave a SUBSCRIBE
    subscribed: Callable[[list[int]], None] = _ignore


class BrokerRefusedError(ConnectionError):
    """The broker answered CONNECT with a failure."""


class MqttClient:
    """A client with one session; :meth:`start` runs it in a thread, :meth:`stop` ends it."""

    def __init__(self, options: Options, handlers: Handlers) -> None:
        self.options = options
        self.handlers = handlers
        self._lock = threading.Lock()
        self._out = bytearray()  # queued for the current connection
        self._connection = 0  # number of the current connection; 0 before the first
        self._connected = False
        self._next_id = 0
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._thread: threading.Thread | None = None
        # Of the connection being opened or served (the network thread's alone).
        self._reader = codec.Reader(options.v5, options.stream_above)
        self._keepalive = options.keepalive
        self._connack_flags = 0

    # --- called from any thread ------------------------------------------------------------------------

    def start(self, spawn: Spawn = daemon) -> None:
        """Connect in a thread ``spawn`` starts; after a loss, reconnect with backoff until :meth:`stop`."""
        self._thread = spawn(self._run, "mqtt")

    def stop(self, timeout: float = 10.0) -> None:
        """Send DISCONNECT (the session and every unacknowledged message stay with the broker) and end."""
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return  # still closing: its wake-up socket stays open
        self._wake_r.close()
        self._wake_w.close()

    def subscribe(self, filters: Sequence[tuple[str, int]]) -> None:
        """Queue a SUBSCRIBE on the current connection (the answer goes to ``handlers.subscribed``)."""
        with self._lock:
            self._next_id = self._next_id % 65535 + 1
            self._queue(codec.subscribe_packet(self._next_id, filters, self.options.v5))

    def ack_qos1(self, connection: int, mids: Sequence[int]) -> None:
        """Acknowledge QoS 1 messages of ``connection`` in one write; nothing if it has ended since."""
        if not mids:
            return
        with self._lock:
            if connection == self._connection and self._connected:
                self._queue(codec.pubacks(mids))

    def _queue(self, data: bytes) -> None:
        """Queue ``data`` (holding the lock) and wake the network thread if it was idle."""
        idle = not self._out
        self._out += data
        if idle:
            self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (it is awake anyway) or closed
            self._wake_w.send(b"\x00")

    # --- the network thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        delay = self.options.reconnect_min
        while not self._stopping.is_set():
            reason = "connection closed"
            try:
                sock, events = self._open()
            except (OSError, BrokerRefusedError, codec.MalformedPacketError) as exc:
                reason = str(exc) or type(exc).__name__
            else:
                delay = self.options.reconnect_min
                try:
                    reason = self._serve(sock, events)
                except (OSError, codec.MalformedPacketError) as exc:
                    reason = str(exc) or type(exc).__name__
                finally:
                    with self._lock:
                        self._connected = False
                        self._out.clear()
                    sock.close()
            if self._stopping.is_set():
                self.handlers.disconnected("")
                return
            self.handlers.disconnected(reason)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, self.options.reconnect_max)

    def _open(self) -> tuple[socket.socket, list[codec.Event]]:
        """Connect, send CONNECT, wait for CONNACK; return the socket (non-blocking) and what followed it."""
        opts = self.options
        sock: socket.socket = socket.create_connection((opts.host, opts.port), timeout=opts.connect_timeout)
        try:
            # No TCP_NODELAY: the PUBACKs of a commit go out in one write anyway, and with it a flood
            # ran about 8% slower in bench.gateway_throughput (the broker shares the machine).
            if opts.tls_ca_file is not None:
                context = ssl.create_default_context(cafile=opts.tls_ca_file)
                sock = context.wrap_socket(sock, server_hostname=opts.host)
            sock.sendall(
                codec.connect_packet(
                    opts.client_id,
                    opts.keepalive,
                    clean=False,
                    v5=opts.v5,
                    session_expiry=opts.session_expiry if opts.v5 else None,
                    username=opts.username,
                    password=opts.password,
                )
            )
            self._reader = codec.Reader(opts.v5, opts.stream_above)
            events: list[codec.Event] = []
            while not events:
                data = sock.recv(READ_SIZE)
                if not data:
                    raise ConnectionError("the broker closed the connection before CONNACK")
                events = self._reader.feed(data)
            first = events.pop(0)
            if not isinstance(first, codec.Packet) or first.command != codec.CONNACK or len(first.body) < 2:
                raise codec.MalformedPacketError("the broker's first packet is not a CONNACK")
            self._keepalive = self._connack(first.body)
            self._connack_flags = first.body[0]
        except BaseException:
            sock.close()
            raise
        sock.setblocking(False)
        return sock, events

    def _connack(self, body: bytes) -> int:
        """Check the CONNACK's answer; return the keepalive to keep (the broker's, if it says one)."""
        code = body[1]
        if not self.options.v5:
            if code:
                raise BrokerRefusedError(codec.CONNACK_V3_REASONS.get(code, f"return code {code}"))
            return self.options.keepalive
        properties, _ = codec.parse_properties(body, 2)
        if code >= 0x80:
            detail = properties.get(codec.REASON_STRING, b"")
            raise BrokerRefusedError(f"reason code {code}" + (f": {detail!r}" if detail else ""))
        server_keepalive = properties.get(codec.SERVER_KEEP_ALIVE)
        return server_keepalive if isinstance(server_keepalive, int) else self.options.keepalive

    def _serve(self, sock: socket.socket, events: list[codec.Event]) -> str:
        """Read, write and keep alive until the connection ends or :meth:`stop`; return why it ended."""
        with self._lock:
            self._connection += 1
            self._connected = True
            self._out.clear()
            connection = self._connection
        session_present = bool(self._connack_flags & 1)
        self.handlers.connected(connection, session_present)
        ended = self._dispatch(connection, events)  # what came in the same read as the CONNACK
        if ended is not None:
            return ended
        reader = self._reader
        keepalive = self._keepalive
        last_sent = last_heard = time.monotonic()
        ping_sent: float | None = None
        while True:
            with self._lock:
                writing = bool(self._out)
            if self._stopping.is_set():
                self._flush(sock, codec.disconnect_packet())
                return ""
            timeout = None
            if keepalive:  # the next PINGREQ is due, or the answer to the last one overdue
                due = last_sent + keepalive if ping_sent is None else ping_sent + keepalive
                timeout = max(0.0, due - time.monotonic())
            readable, writable, _ = select.select(
                [sock, self._wake_r], [sock] if writing else [], [], timeout
            )
            now = time.monotonic()
            if self._wake_r in readable:
                with contextlib.suppress(BlockingIOError):
                    self._wake_r.recv(4096)
            # A TLS socket may hold decrypted bytes that select cannot see.
            if sock in readable or (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                data = self._recv(sock)
                if data == b"":
                    return "the broker closed the connection"
                if data:
                    last_heard = now
                    ping_sent = None
                    try:
                        events = reader.feed(data)
                    except codec.MalformedPacketError as exc:  # what came before it still counts
                        return self._dispatch(connection, exc.before) or f"malformed packet: {exc}"
                    ended = self._dispatch(connection, events)
                    if ended is not None:
                        return ended
            if sock in writable and self._send(sock):
                last_sent = now
            if keepalive and ping_sent is not None and now - ping_sent >= keepalive:
                return f"no answer from the broker for {now - last_heard:.0f} s"
            if keepalive and ping_sent is None and now - last_sent >= keepalive:
                with self._lock:
                    self._out += codec.PINGREQ_PACKET
                ping_sent = now
                if self._send(sock):
                    last_sent = now

    def _recv(self, sock: socket.socket) -> bytes | None:
        """What the socket has (``b""``: closed by the peer; ``None``: nothing yet)."""
        try:
            return sock.recv(READ_SIZE)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return None

    def _send(self, sock: socket.socket) -> bool:
        """Write as much of the queue as the socket takes; whether anything went out."""
        with self._lock:
            if not self._out:
                return False
            try:
                sent = sock.send(self._out)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return False
            del self._out[:sent]
            return sent > 0

    def _flush(self, sock: socket.socket, last: bytes) -> None:
        """On a stop: write what is queued and ``last``, waiting a little for a slow socket."""
        with self._lock:
            self._out += last
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            with self._lock:
                if not self._out:
                    return
            select.select([], [sock], [], 0.1)
            try:
                self._send(sock)
            except OSError:
                return

    def _dispatch(self, connection: int, events: list[codec.Event]) -> str | None:
        """Hand each event to its handler; return why the connection must end, if it must."""
        handlers = self.handlers
        v5 = self.options.v5
        for event in events:
            if isinstance(event, list):
                handlers.publishes(connection, event)
            elif isinstance(event, codec.Oversize):
                handlers.oversize(connection, event)
            else:
                kind = event.command & 0xF0
                if kind == codec.PUBLISH:
                    qos = (event.command >> 1) & 3
                    if qos:  # QoS 2 (QoS 1 never comes here); 3 is not a QoS at all
                        raise codec.MalformedPacketError(f"PUBLISH of QoS {qos} on a QoS 1 subscription")
                    _, topic, payload = codec.parse_publish(event.body, v5, qos=0)
                    handlers.message(topic, payload)
                elif kind == codec.SUBACK:
                    handlers.subscribed(list(self._suback_codes(event.body)))
                elif kind == codec.DISCONNECT:
                    code = event.body[0] if event.body else 0
                    return f"the broker disconnected (reason code {code})"
                elif kind not in (codec.PINGRESP, codec.PUBACK, codec.PUBCOMP, codec.PUBREC):
                    raise codec.MalformedPacketError(f"unexpected packet type {kind >> 4} from the broker")
        return None

    def _suback_codes(self, body: bytes) -> bytes:
        if len(body) < 3:
            raise codec.MalformedPacketError("SUBACK is too short")
        pos = codec.parse_properties(body, 2)[1] if self.options.v5 else 2
        return body[pos:]
