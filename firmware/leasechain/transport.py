"""How signed messages leave the device.

A transport has four methods, all bounded by a timeout:

- ``connect(will_topic, will_message)``: open the link; the broker publishes
  ``will_message`` (retained) on ``will_topic`` if the device vanishes;
- ``publish(topic, message, retain=False)``: deliver one message and return
  once the far end has it (MQTT QoS 1: after the PUBACK);
- ``ping()``: keep an idle link alive;
- ``close()``: drop the link, never raising.

Failures raise ``TransportError`` (an ``OSError``).  ``MqttTransport`` uses
``umqtt.simple`` (installed with mip, see firmware/package.json);
``UartTransport`` writes frames to a serial port; tests and the fleet
simulator supply their own objects with the same methods.
"""


class TransportError(OSError):
    """The link failed; the message was not delivered."""


class _TimedSocket:
    """A socket whose blocking mode keeps a timeout.

    umqtt.simple calls ``setblocking(True)`` after each read, which would make
    the next read wait forever on a dead link; here "blocking" means "blocking
    for at most ``timeout`` seconds", so no call outlives the watchdog.
    """

    def __init__(self, sock, timeout):
        self._sock = sock
        self._timeout = timeout
        sock.settimeout(timeout)

    def setblocking(self, flag):
        self._sock.settimeout(self._timeout if flag else 0)

    def settimeout(self, value):
        self._sock.settimeout(value)

    def read(self, n):
        return self._sock.read(n)

    def write(self, data, length=None):
        if length is None:
            return self._sock.write(data)
        return self._sock.write(data, length)

    def close(self):
        self._sock.close()


class MqttTransport:
    """MQTT 3.1.1 through umqtt.simple, QoS 1, with a retained last will."""

    def __init__(
        self,
        client_id,
        host,
        port=1883,
        user=None,
        password=None,
        keepalive=60,
        timeout_s=10,
        ssl=None,
        client_class=None,
    ):
        self.client_id = client_id
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.keepalive = keepalive
        self.timeout_s = timeout_s
        self.ssl = ssl
        self._client_class = client_class
        self._client = None

    @property
    def connected(self):
        return self._client is not None

    def connect(self, will_topic, will_message):
        self.close()
        cls = self._client_class
        if cls is None:
            try:
                from umqtt.simple import MQTTClient
            except ImportError:
                # Not fatal: readings keep being signed and buffered until it is installed.
                raise TransportError(
                    "umqtt.simple is not installed; run: mpremote mip install firmware/package.json"
                ) from None
            cls = MQTTClient
        client = cls(
            self.client_id,
            self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            keepalive=self.keepalive,
            ssl=self.ssl,
        )
        client.set_last_will(will_topic, will_message, retain=True, qos=1)
        try:
            client.connect(timeout=self.timeout_s)
            if hasattr(client.sock, "settimeout"):  # a TLS socket keeps the timeout of the one it wraps
                client.sock = _TimedSocket(client.sock, self.timeout_s)
        except Exception as exc:  # noqa: BLE001 - umqtt raises OSError, MQTTException, IndexError, AssertionError
            _close_quietly(client)
            raise TransportError("MQTT connect to %s:%d failed: %r" % (self.host, self.port, exc)) from None
        self._client = client

    def publish(self, topic, message, retain=False):
        client = self._client
        if client is None:
            raise TransportError("MQTT is not connected")
        try:
            client.publish(topic, message, retain, 1)
        except Exception as exc:  # noqa: BLE001 - any failure mid-packet leaves the session unusable
            self.close()
            raise TransportError("MQTT publish to %s failed: %r" % (topic, exc)) from None

    def ping(self):
        client = self._client
        if client is None:
            raise TransportError("MQTT is not connected")
        try:
            client.ping()
            # Consume the PINGRESP (or anything else pending) without waiting.
            client.check_msg()
        except Exception as exc:  # noqa: BLE001 - as for publish
            self.close()
            raise TransportError("MQTT ping failed: %r" % (exc,)) from None

    def close(self):
        client = self._client
        self._client = None
        if client is not None:
            _close_quietly(client)


def _close_quietly(client):
    try:
        client.disconnect()
    except Exception:  # noqa: BLE001 - the link may already be gone; closing must never raise
        sock = getattr(client, "sock", None)
        if sock is not None:
            try:
                sock.close()
            except Exception:  # noqa: BLE001, S110 - nothing left to release
                pass


class UartTransport:
    """Framed messages on a serial line to a gateway (no acknowledgement, no status)."""

    def __init__(self, uart):
        self._uart = uart
        self.connected = False

    def connect(self, will_topic, will_message):
        # A leading delimiter resynchronises a receiver that saw half a frame.
        self._write(b"\x00")
        self.connected = True

    def publish(self, topic, message, retain=False):
        if topic.endswith("/status"):
            return  # status text is unsigned MQTT housekeeping; the serial line has no use for it
        from .framing import frame

        self._write(frame(message))

    def ping(self):
        pass

    def close(self):
        self.connected = False

    def _write(self, data):
        try:
            written = self._uart.write(data)
        except Exception as exc:  # noqa: BLE001 - machine.UART raises OSError; fakes may raise anything
            self.connected = False
            raise TransportError("UART write failed: %r" % (exc,)) from None
        if written is not None and written != len(data):
            self.connected = False
            raise TransportError("UART wrote %d of %d bytes" % (written, len(data)))
