"""How signed messages leave the device.

A transport has four methods, all bounded by a timeout:

- ``connect(will_topic, will_message)``: open the link; the broker publishes
  ``will_message`` (retained) on ``will_topic`` if the device vanishes;
- ``publish(topic, message, retain=False)``: deliver one message and return
  once the far end has it (MQTT QoS 1: after the PUBACK);
- ``ping()``: keep an idle link alive;
- ``close()``: drop the link, never raising.

Failures raise ``TransportError`` (an ``OSError``).  ``MqttTransport`` uses
``umqtt.simple`` (installed with mip, see firmware/package.json; tested with
1.3.4, the version PyPI carries, and written for its API);
``UartTransport`` (framing.py, loaded only for transport "uart") writes
frames to a serial port; tests and the fleet simulator supply their own
objects with the same methods.  link.py builds the one config.json asks for.
"""


class TransportError(OSError):
    """The link failed; the message was not delivered."""


class _Link:
    """The broker connection umqtt.simple reads and writes: TCP (and TLS) bounded by a timeout.

    umqtt.simple 1.3.4 (the version on PyPI, which this firmware is tested
    with) opens its socket inside ``connect()`` without a timeout and wraps
    TLS with the old ``ussl`` module, which current MicroPython lacks.  So
    the transport puts a link in place of its ``socket`` global for the one
    ``connect()`` call: one class serves as that module (``getaddrinfo``,
    ``socket()``) and as the sockets it opens, so the TCP connect, the TLS
    handshake (with the board's ``ssl.SSLContext``) and every read are
    bounded by ``timeout``.
    umqtt.simple calls ``setblocking(True)`` after each read; here
    "blocking" means "blocking for at most ``timeout`` seconds", so no call
    outlives the watchdog.  Later umqtt.simple versions call the same
    methods (and ``settimeout`` first), so the link serves them too.
    """

    def __init__(self, net, timeout, ssl_context, host, raw=None):
        self._net = net
        self._timeout = timeout
        self._ssl = ssl_context
        self._host = host
        self._raw = self._sock = raw
        if raw is not None:
            raw.settimeout(timeout)

    # -- as umqtt.simple's socket module (no socket of its own yet) ---------

    def getaddrinfo(self, host, port, *rest):
        return self._net.getaddrinfo(host, port, *rest)

    def socket(self, *args):
        return _Link(self._net, self._timeout, self._ssl, self._host, self._net.socket())

    # -- as the socket ------------------------------------------------------

    def connect(self, addr):
        self._raw.connect(addr)
        if self._ssl is not None:
            # The TLS socket reads through the raw one, which keeps the timeout.
            self._sock = self._ssl.wrap_socket(self._raw, server_hostname=self._host)

    def setblocking(self, flag):
        self._raw.settimeout(self._timeout if flag else 0)

    def settimeout(self, value):
        # A later umqtt.simple passes connect(timeout=None) through: keep the bound.
        self._raw.settimeout(self._timeout if value is None else value)

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
        client_module=None,
        socket_module=None,
    ):
        self.client_id = client_id
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.keepalive = keepalive
        self.timeout_s = timeout_s
        self.ssl = ssl
        self._module = client_module
        self._net = socket_module
        self._client = None

    @property
    def connected(self):
        return self._client is not None

    def connect(self, will_topic, will_message):
        self.close()
        mod = self._module
        if mod is None:
            try:
                from umqtt import simple as mod
            except ImportError:
                # Not fatal: readings keep being signed and buffered until it is installed.
                raise TransportError(
                    "umqtt.simple is not installed; run: mpremote mip install firmware/package.json"
                ) from None
        # No ssl argument: TLS is the link's (see _Link), in every umqtt.simple version.
        client = mod.MQTTClient(
            self.client_id,
            self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            keepalive=self.keepalive,
        )
        client.set_last_will(will_topic, will_message, retain=True, qos=1)
        net = self._net
        if net is None:
            import socket as net
        sockets = mod.socket
        mod.socket = _Link(net, self.timeout_s, self.ssl, self.host)
        try:
            client.connect()
        except Exception as exc:  # noqa: BLE001 - umqtt raises OSError, MQTTException, IndexError, AssertionError
            _close_quietly(client)
            raise TransportError("MQTT connect to %s:%d failed: %r" % (self.host, self.port, exc)) from None
        finally:
            mod.socket = sockets
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
