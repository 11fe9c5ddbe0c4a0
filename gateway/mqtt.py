"""MQTT ingestion with paho-mqtt 2 and manual acknowledgement.

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
import ssl
import threading
import time
from collections.abc import Sequence
from typing import Any, cast

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from chain_client import topics
from chain_client.cose import MAX_MESSAGE_SIZE
from chain_client.reasons import Reason
from gateway.config import MqttSection
from gateway.inbox import Delivery, Inbox
from gateway.metrics import Metrics
from gateway.paho_client import LeanClient
from gateway.quarantine import Original
from gateway.store import Received
from gateway.verifier import Rejected

log = logging.getLogger(__name__)

SUBSCRIBED_KINDS: tuple[topics.Kind, ...] = ("data", "birth")


class MqttSource:
    """One broker connection feeding the inbox; paho's network loop runs in its own thread."""

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
        self._lock = threading.Lock()
        self._generation = 0
        self._connected = threading.Event()
        # Looked up once: a labelled child costs a dictionary walk per message otherwise.
        self._received = metrics.received.labels("mqtt")
        self._subscribed = threading.Event()
        v5 = config.protocol == "5"
        self.client = LeanClient(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=None if v5 else False,
            protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
            manual_ack=True,
        )
        if config.username is not None:
            self.client.username_pw_set(config.username, password)
        if config.tls_ca_file is not None:
            self.client.tls_set(ca_certs=str(config.tls_ca_file), tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self.client.reconnect_delay_set(
            min_delay=max(1, round(config.reconnect_min_seconds)),
            max_delay=max(1, round(config.reconnect_max_seconds)),
        )
        # Several queued PUBACKs and deliveries per network-loop pass keep a busy site flowing.
        self.client.max_inflight_messages_set(100)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_publish_qos1 = self._on_publish_qos1
        # A message over the protocol's limit is read past, not held (a flood of them must not
        # cost memory); only its first bytes, size and digest reach the quarantine.
        self.client.max_payload = MAX_MESSAGE_SIZE
        self.client.on_oversize_qos1 = self._on_oversize_qos1
        self.client.on_subscribe = self._on_subscribe

    @property
    def connected(self) -> bool:
        """Whether a session with the broker is up."""
        return self._connected.is_set()

    def wait_subscribed(self, timeout: float) -> bool:
        """Block until the broker confirmed the subscriptions of the current session."""
        return self._subscribed.wait(timeout)

    def start(self) -> None:
        """Connect in the background; paho reconnects on its own after a loss."""
        cfg = self.config
        properties = None
        if cfg.protocol == "5":
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho lacks hints
            properties.SessionExpiryInterval = cfg.session_expiry_seconds
            self.client.connect_async(
                cfg.host, cfg.port, keepalive=cfg.keepalive_seconds, clean_start=False, properties=properties
            )
        else:
            self.client.connect_async(cfg.host, cfg.port, keepalive=cfg.keepalive_seconds)
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect (the session and every unacknowledged message stay with the broker)."""
        with self._lock:
            self._generation += 1  # acks still in flight must not go out on a later connection
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()
        self.metrics.mqtt_connected.set(0)

    def _on_connect(
        self,
        client: paho.Client,
        _userdata: Any,  # noqa: ANN401 - paho's callback signature
        flags: paho.ConnectFlags,
        reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            log.warning("broker %s:%s refused the connection: %s", self.config.host, self.config.port, reason)
            return
        with self._lock:
            self._generation += 1
        share = self.config.share_group
        subscriptions = [(topics.subscription(kind, share), topics.QOS) for kind in SUBSCRIBED_KINDS]
        result, _mid = client.subscribe(subscriptions)
        if result != MQTTErrorCode.MQTT_ERR_SUCCESS:
            log.warning("subscribe failed: %s", paho.error_string(result))
        self._connected.set()
        self.metrics.mqtt_connected.set(1)
        log.info(
            "connected to %s:%s (session present: %s)",
            self.config.host,
            self.config.port,
            flags.session_present,
        )

    def _on_subscribe(
        self,
        _client: paho.Client,
        _userdata: Any,  # noqa: ANN401 - paho's callback signature
        _mid: int,
        reasons: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        failed = [str(r) for r in reasons if r.is_failure]
        if failed:
            log.error("the broker refused the subscriptions: %s (check its ACLs)", ", ".join(failed))
            return
        self._subscribed.set()

    def _on_disconnect(
        self,
        _client: paho.Client,
        _userdata: Any,  # noqa: ANN401 - paho's callback signature
        _flags: paho.DisconnectFlags,
        reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        self._connected.clear()
        self.metrics.mqtt_connected.set(0)
        if reason.is_failure:
            log.warning("lost the broker (%s); reconnecting with backoff", reason)

    def _on_message(
        self,
        _client: paho.Client,
        _userdata: Any,  # noqa: ANN401 - paho's callback signature
        message: paho.MQTTMessage,
    ) -> None:
        # Deliveries other than QoS 1 (the subscription's QoS) would come here.
        received = Received(bytes(message.payload), message.topic, "mqtt", time.time())
        self._received.inc()
        if message.qos > 0:
            self.inbox.put(Delivery(received, self, (self._generation, message.mid, message.qos)))
        else:
            self.inbox.put(Delivery(received))

    def _on_publish_qos1(self, publishes: list[tuple[int, str, bytes]]) -> None:
        now = time.time()
        generation = self._generation
        self._received.inc(len(publishes))
        self.inbox.put_many(
            [
                Delivery(Received(payload, topic, "mqtt", now), self, (generation, mid, 1))
                for mid, topic, payload in publishes
            ]
        )

    def _on_oversize_qos1(self, mid: int, topic: str, head: bytes, size: int, sha256: bytes) -> None:
        self._received.inc()
        detail = f"message is {size} bytes, limit is {MAX_MESSAGE_SIZE}"
        log.warning("%s (topic %.100r, SHA-256 %s): quarantined as oversize", detail, topic, sha256.hex())
        self.inbox.put(
            Delivery(
                Received(head, topic, "mqtt", time.time()),
                self,
                (self._generation, mid, 1),
                Rejected(Reason.OVERSIZE, detail, original=Original(size, sha256)),
            )
        )

    def acknowledge(self, tokens: Sequence[object]) -> None:
        """Acknowledge committed messages of the current connection; QoS 1 ones in one write."""
        with self._lock:
            if not self._connected.is_set():
                return
            qos1: list[int] = []
            for token in tokens:
                generation, mid, qos = cast(tuple[int, int, int], token)
                if generation != self._generation:
                    continue  # received on an earlier connection: the broker redelivers it
                if qos == 1:
                    qos1.append(mid)
                else:
                    self.client.ack(mid, qos)
            self.client.ack_qos1(qos1)
