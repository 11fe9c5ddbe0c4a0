"""MQTT ingestion with the gateway's own client (gateway/mqtt_client.py) and manual acknowledgement.

The gateway holds a persistent session (MQTT 5 ``clean_start=False`` with a
session expiry, or MQTT 3.1.1 ``clean_session=False``) and subscribes with
QoS 1, so the broker keeps every message until the gateway acknowledges it.
Acknowledgement (PUBACK) is sent only after the message is committed to the
store; a crash before that makes the broker deliver it again, and the store
recognises the copy as a duplicate.

Packet ids are only meaningful within one connection: an acknowledgement
for a message received on an earlier connection is not sent (the broker has
already redelivered that message on the new connection, and the same id may
by now name another message).  The redelivered copy is acknowledged instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import cast

from chain_client import topics
from chain_client.cose import MAX_MESSAGE_SIZE
from chain_client.mqtt_codec import Oversize, Publish
from chain_client.reasons import Reason
from gateway.config import MqttSection
from gateway.inbox import Delivery, Inbox
from gateway.metrics import Metrics
from gateway.mqtt_client import Handlers, MqttClient, Options
from gateway.quarantine import Original
from gateway.store import Received
from gateway.threads import Spawn, daemon
from gateway.verifier import Rejected

log = logging.getLogger(__name__)

SUBSCRIBED_KINDS: tuple[topics.Kind, ...] = ("data", "birth")


class MqttSource:
    """One broker connection feeding the inbox; the client's network loop runs in its own thread."""

    def __init__(
        self,
        config: MqttSection,
        client_id: str,
        inbox: Inbox,
        metrics: Metrics,
        password: str | None = None,
    ) -> None:
        self.config = config
        self.inbox = inbox
        self.metrics = metrics
        self._connected = threading.Event()
        # Looked up once: a labelled child costs a dictionary walk per message otherwise.
        self._received = metrics.received.labels("mqtt")
        self._subscribed = threading.Event()
        self.client = MqttClient(
            Options(
                host=config.host,
                port=config.port,
                client_id=client_id,
                v5=config.protocol == "5",
                keepalive=config.keepalive_seconds,
                session_expiry=config.session_expiry_seconds,
                username=config.username,
                password=password if config.username is not None else None,
                tls_ca_file=None if config.tls_ca_file is None else str(config.tls_ca_file),
                reconnect_min=max(1.0, config.reconnect_min_seconds),
                reconnect_max=max(1.0, config.reconnect_max_seconds),
                # A message over the protocol's limit is read past, not held (a flood of them must
                # not cost memory); only its first bytes, size and digest reach the quarantine.
                stream_above=MAX_MESSAGE_SIZE,
            ),
            Handlers(
                connected=self._on_connect,
                disconnected=self._on_disconnect,
                publishes=self._on_publishes,
                oversize=self._on_oversize,
                message=self._on_message,
                subscribed=self._on_subscribe,
            ),
        )

    @property
    def connected(self) -> bool:
        """Whether a session with the broker is up."""
        return self._connected.is_set()

    def wait_subscribed(self, timeout: float) -> bool:
        """Block until the broker confirmed the subscriptions of the current session."""
        return self._subscribed.wait(timeout)

    def start(self, spawn: Spawn = daemon) -> None:
        """Connect in a thread ``spawn`` starts; the client reconnects on its own after a loss."""
        self.client.start(spawn)

    def stop(self) -> None:
        """Disconnect (the session and every unacknowledged message stay with the broker)."""
        self.client.stop()
        self._connected.clear()
        self.metrics.mqtt_connected.set(0)

    def _on_connect(self, _connection: int, session_present: bool) -> None:
        share = self.config.share_group
        self.client.subscribe([(topics.subscription(kind, share), topics.QOS) for kind in SUBSCRIBED_KINDS])
        self._connected.set()
        self.metrics.mqtt_connected.set(1)
        log.info(
            "connected to %s:%s (session present: %s)", self.config.host, self.config.port, session_present
        )

    def _on_subscribe(self, codes: list[int]) -> None:
        failed = [str(code) for code in codes if code >= 0x80]
        if failed:
            log.error(
                "the broker refused the subscriptions: reason codes %s (check its ACLs)", ", ".join(failed)
            )
            return
        self._subscribed.set()

    def _on_disconnect(self, reason: str) -> None:
        self._connected.clear()
        self._subscribed.clear()
        self.metrics.mqtt_connected.set(0)
        if reason:
            log.warning(
                "broker %s:%s: %s; reconnecting with backoff", self.config.host, self.config.port, reason
            )

    def _on_message(self, topic: str, payload: bytes) -> None:
        # QoS 0 deliveries (a sensor that published at QoS 0) need no acknowledgement.
        self._received.inc()
        self.inbox.put(Delivery(Received(payload, topic, "mqtt", time.time())))

    def _on_publishes(self, connection: int, publishes: list[Publish]) -> None:
        now = time.time()
        self._received.inc(len(publishes))
        self.inbox.put_many(
            [
                Delivery(Received(payload, topic, "mqtt", now), self, (connection, mid))
                for mid, topic, payload in publishes
            ]
        )

    def _on_oversize(self, connection: int, message: Oversize) -> None:
        self._received.inc()
        detail = f"message is {message.size} bytes, limit is {MAX_MESSAGE_SIZE}"
        log.warning(
            "%s (topic %.100r, SHA-256 %s): quarantined as oversize",
            detail,
            message.topic,
            message.sha256.hex(),
        )
        self.inbox.put(
            Delivery(
                Received(message.head, message.topic, "mqtt", time.time()),
                self,
                (connection, message.mid),
                Rejected(Reason.OVERSIZE, detail, original=Original(message.size, message.sha256)),
            )
        )

    def acknowledge(self, tokens: Sequence[object]) -> None:
        """Acknowledge committed messages; those of an earlier connection are not (the broker redelivers)."""
        by_connection: dict[int, list[int]] = {}
        for token in tokens:
            connection, mid = cast(tuple[int, int], token)
            by_connection.setdefault(connection, []).append(mid)
        for connection, mids in by_connection.items():
            self.client.ack_qos1(connection, mids)
