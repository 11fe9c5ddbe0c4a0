"""The gateway service: wires inputs, verification, store, anchoring and metrics into one asyncio process.

Startup: open the store, load the registry (file, cache, then a first sync),
start the metrics endpoint, the MQTT session and the serial readers, then
tell systemd ``READY=1``.  While running, the event loop pings the systemd
watchdog only if the store thread still answers, so a wedged store gets the
service restarted.  On SIGTERM or SIGINT: ``STOPPING=1``, serial readers
stop, everything already received is committed and acknowledged, then the
MQTT session is closed (anything not yet acknowledged stays queued in the
broker for the next start) and the store is checkpointed and closed.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from nacl.signing import SigningKey

from chain_client import signatures
from gateway import broker_access, endpoint, registry_sync, sdnotify
from gateway.anchoring import Anchorer
from gateway.config import Config, load
from gateway.errors import ConfigError, GatewayError, RegistryError
from gateway.inbox import Inbox
from gateway.metrics import Metrics
from gateway.mqtt import MqttSource
from gateway.pipeline import Pipeline
from gateway.registry import Device, Registry, load_file
from gateway.store import Store
from gateway.submitter import HttpSubmitter, Submitter
from gateway.uart import SerialReader
from gateway.verifier import Limits, Verifier

log = logging.getLogger(__name__)

GAUGE_REFRESH_SECONDS = 5.0
DRAIN_TIMEOUT_SECONDS = 20.0
STARTUP_SUBSCRIBE_SECONDS = 5.0


def signing_key(config: Config) -> SigningKey | None:
    """The gateway's service key from ``backend.key``; ``None`` without a backend."""
    if config.backend.key is None:
        return None
    text = config.backend.key.read("backend.key")
    try:
        seed = bytes.fromhex(text)
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise ConfigError(
            "backend.key",
            [f"backend.key: the secret is {len(text)} characters; expected 64 hex digits (a seed)"],
        )
    return SigningKey(seed)


def mqtt_password(config: Config) -> str | None:
    """The broker password from ``mqtt.password``, if configured."""
    return None if config.mqtt.password is None else config.mqtt.password.read("mqtt.password")


def broker_secret(config: Config) -> bytes | None:
    """The site secret sensor passwords derive from (``broker_access.secret``), if configured."""
    ref = config.broker_access.secret
    if ref is None:
        return None
    text = ref.read("broker_access.secret")
    if len(text) < 32:
        raise ConfigError(
            "broker_access.secret",
            [f"broker_access.secret: the secret is {len(text)} characters; expected at least 32"],
        )
    return text.encode()


def write_broker_access(
    config: Config, devices: Mapping[bytes, Device], secret: bytes, password: str
) -> bool:
    """Write the broker's password and ACL files for ``devices``; return whether they changed."""
    access = config.broker_access
    assert access.password_file is not None
    assert access.acl_file is not None
    assert config.mqtt.username is not None
    files = broker_access.render(devices, secret, config.mqtt.username, password)
    changed = broker_access.write(access.password_file, access.acl_file, files)
    if changed:
        log.info(
            "broker access: %d sensors and %s written to %s and %s",
            files.sensors,
            config.mqtt.username,
            access.password_file,
            access.acl_file,
        )
    return changed


def initial_registry(config: Config) -> tuple[dict[bytes, Device], dict[bytes, Device]]:
    """Keys from the configured file and from the cache of the last sync."""
    from_file = load_file(config.registry.file) if config.registry.file is not None else {}
    cached = registry_sync.load_cache(config.registry_cache_path()) if config.backend.url else {}
    return from_file, cached


@dataclass
class Service:
    """One running gateway."""

    config: Config
    metrics: Metrics = field(default_factory=Metrics)
    metrics_port: int | None = None
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    pipeline: Pipeline | None = None
    mqtt: MqttSource | None = None
    # The file the config was read from, re-read on SIGHUP to say which changes need a restart.
    config_path: Path | None = None
    reloading: asyncio.Event = field(default_factory=asyncio.Event)
    # Keys from registry.file and from the last sync; the live registry is their union.
    _from_file: Mapping[bytes, Device] = field(default_factory=dict)
    _synced: Mapping[bytes, Device] = field(default_factory=dict)
    _broker_secret: bytes | None = None
    _mqtt_password: str | None = None

    def request_reload(self) -> None:
        """Re-read the registry file and sync the registry now (what SIGHUP does)."""
        self.reloading.set()

    def request_stop(self) -> None:
        """Begin a clean shutdown (what SIGTERM does)."""
        self.stopping.set()

    async def run(self) -> None:
        """Run until :meth:`request_stop` or SIGTERM/SIGINT."""
        cfg = self.config
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        key = signing_key(cfg)
        password = mqtt_password(cfg)
        self._broker_secret = broker_secret(cfg)
        self._mqtt_password = password
        cfg.gateway.state_dir().mkdir(parents=True, exist_ok=True)
        store = Store(
            cfg.store_path(),
            max_bytes=cfg.store.max_bytes,
            keep_anchored_seconds=cfg.store.keep_anchored_seconds,
            quarantine_max_rows=cfg.store.quarantine_max_rows,
        )
        store_executor = ThreadPoolExecutor(1, thread_name_prefix="store")
        requeued = store.retry_failed()
        if requeued:
            # A restart is how an operator says "the cause is fixed": try parked batches again.
            log.info("%d batches parked as failed are queued again", requeued)
        self._from_file, self._synced = initial_registry(cfg)
        registry = Registry()
        registry.merge(self._synced, self._from_file)
        if self._syncs():
            # One sync before any input starts, so readings of freshly enrolled devices
            # are not judged against an empty or stale registry; offline, the cache serves.
            await self._sync_once(registry)
        await self._registry_changed(registry)
        # Before any input: the counters exported from here on start from the store's totals now.
        self.metrics.update(store.stats(), len(registry))
        if cfg.metrics.enabled:
            interval = cfg.registry.sync_interval_seconds if self._syncs() else None
            self.metrics_port = endpoint.serve(
                cfg.metrics.host,
                cfg.metrics.port,
                self.metrics.registry,
                lambda: endpoint.registry_document(registry, interval),
            )
            log.info("metrics on http://%s:%d/metrics", cfg.metrics.host, self.metrics_port)
        inbox = Inbox(loop)
        verifier = Verifier(registry, Limits(cfg.verify.max_future_seconds, cfg.verify.max_age_seconds))
        self.pipeline = pipeline = Pipeline(
            inbox,
            verifier,
            store,
            store_executor,
            self.metrics,
            max_batch=cfg.ingest.max_batch,
            verify_threads=cfg.ingest.verify_threads,
            summary_seconds=cfg.log.quarantine_summary_seconds,
        )
        submitter: Submitter | None = None
        if cfg.backend.url is not None and key is not None:
            submitter = HttpSubmitter(cfg.backend.url, key, cfg.backend.timeout_seconds)
        anchorer = Anchorer(
            store, store_executor, submitter, self.metrics, cfg.gateway.id, cfg.batch, cfg.backend
        )
        pipeline.on_stored = anchorer.stored

        ingest_stop = asyncio.Event()
        tasks = [
            asyncio.create_task(pipeline.run(ingest_stop), name="pipeline"),
            asyncio.create_task(anchorer.seal_loop(self.stopping), name="seal"),
            asyncio.create_task(anchorer.submit_loop(self.stopping), name="submit"),
            asyncio.create_task(self._refresh_gauges(store, store_executor, registry), name="gauges"),
            asyncio.create_task(self._watchdog(store_executor), name="watchdog"),
        ]
        tasks.append(asyncio.create_task(self._sync_registry(registry), name="registry"))
        if cfg.mqtt.enabled:
            client_id = cfg.mqtt.client_id or f"leasechain-gateway-{cfg.gateway.id}"
            self.mqtt = MqttSource(cfg.mqtt, client_id, inbox, self.metrics, password)
            self.mqtt.start()
            # Wait briefly for the subscription so that "ready" means "receiving" when the
            # broker is up; when it is not, start anyway and keep reconnecting.
            if not await loop.run_in_executor(None, self.mqtt.wait_subscribed, STARTUP_SUBSCRIBE_SECONDS):
                log.warning("not subscribed at the broker yet; going on and retrying in the background")
        readers = [SerialReader(port, inbox, self.metrics) for port in cfg.serial.ports]
        for reader in readers:
            reader.start()
        # What start-up built (registry, modules, the store's index of devices) lives as long as
        # the process: frozen, the cyclic collector no longer walks it on every full collection,
        # which otherwise stalls ingest for tens of milliseconds with 10,000 devices enrolled.
        gc.freeze()
        sdnotify.notify(f"READY=1\nSTATUS=verifying; {len(registry)} devices in the registry")
        log.info(
            "gateway %s ready: %d devices in the registry, store %s, signature checks: %s",
            cfg.gateway.id,
            len(registry),
            store.path,
            "batched" if signatures.BATCHED else "one per call (chain_client._sigbatch is not built)",
        )

        done_early = asyncio.ensure_future(asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION))
        stop_wait = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({done_early, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        stop_wait.cancel()
        self.stopping.set()
        sdnotify.notify("STOPPING=1\nSTATUS=draining")
        log.info("stopping: committing what was received")
        for reader in readers:
            reader.stop()
        ingest_stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(tasks[0]), DRAIN_TIMEOUT_SECONDS)
        except TimeoutError:
            log.error(
                "drain did not finish in %.0f s; unacknowledged messages will be redelivered",
                DRAIN_TIMEOUT_SECONDS,
            )
        if self.mqtt is not None:
            self.mqtt.stop()
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        done_early.cancel()
        anchorer.close()
        await loop.run_in_executor(store_executor, store.close)
        store_executor.shutdown(wait=True)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        failures = [
            r for r in results if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError)
        ]
        for failure in failures:
            log.error("task failed: %r", failure, exc_info=failure)
        if failures:
            raise failures[0]
        log.info("stopped")

    async def _refresh_gauges(self, store: Store, executor: ThreadPoolExecutor, registry: Registry) -> None:
        loop = asyncio.get_running_loop()
        while True:
            stats = await loop.run_in_executor(executor, store.stats)
            self.metrics.update(stats, len(registry))
            if self.pipeline is not None:
                # A burst that ended within the last minute still gets its summary line.
                self.pipeline.log_quarantine()
            await asyncio.sleep(GAUGE_REFRESH_SECONDS)

    async def _watchdog(self, executor: ThreadPoolExecutor) -> None:
        interval = sdnotify.watchdog_interval()
        if interval is None:
            return
        loop = asyncio.get_running_loop()
        while True:
            # Ping only if the store thread answers: a wedged store must get us restarted.
            try:
                await asyncio.wait_for(loop.run_in_executor(executor, time.monotonic), timeout=interval * 1.5)
            except TimeoutError:
                log.error(
                    "store thread did not answer in %.1f s; withholding the watchdog ping", interval * 1.5
                )
                continue
            sdnotify.notify("WATCHDOG=1")
            await asyncio.sleep(interval)

    async def _sync_once(self, registry: Registry) -> None:
        cfg = self.config
        assert cfg.backend.url is not None
        loop = asyncio.get_running_loop()
        cache = cfg.registry_cache_path()
        try:
            self._synced = await loop.run_in_executor(
                None, registry_sync.sync, cfg.backend.url, cfg.backend.timeout_seconds, cache
            )
        except RegistryError as exc:
            log.warning("registry sync failed, keeping %d known devices: %s", len(registry), exc)
            return
        registry.merge(self._synced, self._from_file)
        await self._registry_changed(registry)
        registry.synced_at = time.time()
        self.metrics.registry_devices.set(len(registry))
        self.metrics.registry_synced.set(registry.synced_at)
        log.debug("registry synced: %d devices", len(registry))

    async def _registry_changed(self, registry: Registry) -> None:
        """Keep the broker's password and ACL files in step with the registry (if configured)."""
        if self._broker_secret is None or self._mqtt_password is None:
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                None,
                write_broker_access,
                self.config,
                registry.snapshot(),
                self._broker_secret,
                self._mqtt_password,
            )
        except OSError as exc:
            log.error("broker access: cannot write the broker's files: %s", exc)

    def _syncs(self) -> bool:
        return self.config.backend.url is not None and self.config.registry.sync_from_backend

    async def _sync_registry(self, registry: Registry) -> None:
        """Sync every ``sync_interval_seconds``, and at once on SIGHUP."""
        interval = self.config.registry.sync_interval_seconds if self._syncs() else None
        while True:
            try:
                await asyncio.wait_for(self.reloading.wait(), interval)
            except TimeoutError:
                await self._sync_once(registry)
                continue
            self.reloading.clear()
            await self._reload(registry)

    async def _reload(self, registry: Registry) -> None:
        cfg = self.config
        if cfg.registry.file is not None:
            try:
                self._from_file = load_file(cfg.registry.file)
            except RegistryError as exc:
                log.error("reload: keeping the registry file as it was: %s", exc)
        if self._syncs():
            await self._sync_once(registry)
        else:
            registry.merge(self._synced, self._from_file)
            await self._registry_changed(registry)
            self.metrics.registry_devices.set(len(registry))
        log.info("reloaded: %d devices in the registry", len(registry))
        self._config_changes()

    def _config_changes(self) -> None:
        """Say which sections of the config file changed: they take effect at the next restart."""
        if self.config_path is None:
            return
        try:
            fresh = load(self.config_path)
        except GatewayError as exc:
            log.error("reload: %s", exc)
            return
        changed = [
            name
            for name in type(self.config).model_fields
            if getattr(fresh, name) != getattr(self.config, name)
        ]
        if changed:
            log.warning(
                "reload: [%s] changed in %s; a reload re-reads only the device registry, so these take "
                "effect at the next restart (systemctl restart leasechain-gateway loses nothing)",
                "], [".join(changed),
                self.config_path,
            )
