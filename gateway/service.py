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
import functools
import gc
import logging
import signal
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

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
from gateway.threads import Threads
from gateway.uart import SerialReader
from gateway.verifier import Limits, Verifier

log = logging.getLogger(__name__)

_T = TypeVar("_T")

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
class _Running:
    """What :meth:`Service.run` started and must stop."""

    store: Store
    registry: Registry
    ingest_stop: asyncio.Event
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    readers: list[SerialReader] = field(default_factory=list)
    done_early: asyncio.Future[tuple[set[asyncio.Task[None]], set[asyncio.Task[None]]]] | None = None


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
    _threads: Threads = field(init=False)

    def request_reload(self) -> None:
        """Re-read the registry file and sync the registry now (what SIGHUP does)."""
        self.reloading.set()

    def request_stop(self) -> None:
        """Begin a clean shutdown (what SIGTERM does)."""
        self.stopping.set()

    async def run(self) -> None:
        """Run until :meth:`request_stop` or SIGTERM/SIGINT."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, self.request_reload)
        try:
            key = signing_key(self.config)
            self._mqtt_password = mqtt_password(self.config)
            self._broker_secret = broker_secret(self.config)
            self._threads = Threads(self.config.ingest.verify_threads)
            running = await self._start(key)
            await self._until_stopped(running)
            failures = await self._drain(running)
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
        for failure in failures:
            log.error("task failed: %r", failure, exc_info=failure)
        if failures:
            raise failures[0]
        log.info("stopped")

    async def _start(self, key: SigningKey | None) -> _Running:
        """Open the store, load the registry, start metrics, ingest, anchoring and the inputs; say READY."""
        cfg, threads = self.config, self._threads
        store = await self._open_store()
        registry = await self._load_registry()
        # Before any input: the counters exported from here on start from the store's totals now.
        self.metrics.update(await self._on_store(store.stats), len(registry))
        self._serve_metrics(registry)
        inbox = Inbox(asyncio.get_running_loop())
        verifier = Verifier(registry, Limits(cfg.verify.max_future_seconds, cfg.verify.max_age_seconds))
        self.pipeline = pipeline = Pipeline(
            inbox,
            verifier,
            store,
            threads.store,
            threads.verify,
            self.metrics,
            max_batch=cfg.ingest.max_batch,
            verify_threads=cfg.ingest.verify_threads,
            summary_seconds=cfg.log.quarantine_summary_seconds,
        )
        submitter: Submitter | None = None
        if cfg.backend.url is not None and key is not None:
            submitter = HttpSubmitter(cfg.backend.url, key, cfg.backend.timeout_seconds)
        anchorer = Anchorer(
            store, threads.store, threads.submit, submitter,
            self.metrics, cfg.gateway.id, cfg.batch, cfg.backend,
        )  # fmt: skip
        pipeline.on_stored = anchorer.stored
        running = _Running(store, registry, asyncio.Event())
        running.tasks = [
            asyncio.create_task(pipeline.run(running.ingest_stop), name="pipeline"),
            asyncio.create_task(anchorer.seal_loop(self.stopping), name="seal"),
            asyncio.create_task(anchorer.submit_loop(self.stopping), name="submit"),
            asyncio.create_task(self._refresh_gauges(store, threads.store, registry), name="gauges"),
            asyncio.create_task(self._watchdog(threads.store), name="watchdog"),
            asyncio.create_task(self._sync_registry(registry), name="registry"),
        ]
        running.readers = await self._start_inputs(inbox)
        self._ready(running)
        return running

    async def _on_store(self, fn: Callable[..., _T], *args: object) -> _T:
        """Run ``fn`` on the store's thread, the only one that may use it."""
        return await asyncio.get_running_loop().run_in_executor(self._threads.store, fn, *args)

    async def _open_store(self) -> Store:
        """Open the store on its thread and queue batches parked as failed again."""
        cfg = self.config
        cfg.gateway.state_dir().mkdir(parents=True, exist_ok=True)
        store = await self._on_store(
            functools.partial(
                Store,
                cfg.store_path(),
                max_bytes=cfg.store.max_bytes,
                keep_anchored_seconds=cfg.store.keep_anchored_seconds,
                quarantine_max_rows=cfg.store.quarantine_max_rows,
            )
        )
        requeued = await self._on_store(store.retry_failed)
        if requeued:
            # A restart is how an operator says "the cause is fixed": try parked batches again.
            log.info("%d batches parked as failed are queued again", requeued)
        return store

    async def _load_registry(self) -> Registry:
        """The registry from the file and the cache, then one sync when the ledger is configured."""
        self._from_file, self._synced = initial_registry(self.config)
        registry = Registry()
        registry.merge(self._synced, self._from_file)
        if self._syncs():
            # One sync before any input starts, so readings of freshly enrolled devices
            # are not judged against an empty or stale registry; offline, the cache serves.
            await self._sync_once(registry)
        await self._registry_changed(registry)
        return registry

    def _serve_metrics(self, registry: Registry) -> None:
        cfg = self.config
        if not cfg.metrics.enabled:
            return
        interval = cfg.registry.sync_interval_seconds if self._syncs() else None
        self.metrics_port = endpoint.serve(
            cfg.metrics.host,
            cfg.metrics.port,
            self.metrics.registry,
            lambda: endpoint.registry_document(registry, interval),
            self._threads.spawn,
        )
        log.info("metrics on http://%s:%d/metrics", cfg.metrics.host, self.metrics_port)

    async def _start_inputs(self, inbox: Inbox) -> list[SerialReader]:
        """Start the MQTT session and the serial readers."""
        cfg, threads = self.config, self._threads
        if cfg.mqtt.enabled:
            client_id = cfg.mqtt.client_id or f"leasechain-gateway-{cfg.gateway.id}"
            self.mqtt = MqttSource(cfg.mqtt, client_id, inbox, self.metrics, self._mqtt_password)
            self.mqtt.start(threads.spawn)
            # Wait briefly for the subscription so that "ready" means "receiving" when the
            # broker is up; when it is not, start anyway and keep reconnecting.
            loop = asyncio.get_running_loop()
            wait = self.mqtt.wait_subscribed
            if not await loop.run_in_executor(threads.io, wait, STARTUP_SUBSCRIBE_SECONDS):
                log.warning("not subscribed at the broker yet; going on and retrying in the background")
        readers = [SerialReader(port, inbox, self.metrics) for port in cfg.serial.ports]
        for reader in readers:
            reader.start(threads.spawn)
        return readers

    def _ready(self, running: _Running) -> None:
        """Freeze what start-up built and tell systemd READY=1."""
        # What start-up built (registry, modules, the store's index of devices) lives as long as
        # the process: frozen, the cyclic collector no longer walks it on every full collection,
        # which otherwise stalls ingest for tens of milliseconds with 10,000 devices enrolled.
        gc.freeze()
        devices = len(running.registry)
        sdnotify.notify(f"READY=1\nSTATUS=verifying; {devices} devices in the registry")
        log.info(
            "gateway %s ready: %d devices in the registry, store %s, signature checks: %s",
            self.config.gateway.id,
            devices,
            running.store.path,
            "batched" if signatures.BATCHED else "one per call (chain_client._sigbatch is not built)",
        )

    async def _until_stopped(self, running: _Running) -> None:
        """Wait for a stop request, or for a task to fail."""
        done_early = asyncio.ensure_future(asyncio.wait(running.tasks, return_when=asyncio.FIRST_EXCEPTION))
        running.done_early = done_early
        stop_wait = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({done_early, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        stop_wait.cancel()

    async def _drain(self, running: _Running) -> list[BaseException]:
        """Commit and acknowledge what was received, close inputs, tasks, threads and the store.

        Returns the tasks' failures.
        """
        self.stopping.set()
        sdnotify.notify("STOPPING=1\nSTATUS=draining")
        log.info("stopping: committing what was received")
        for reader in running.readers:
            reader.stop()
        running.ingest_stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(running.tasks[0]), DRAIN_TIMEOUT_SECONDS)
        except TimeoutError:
            log.error(
                "drain did not finish in %.0f s; unacknowledged messages will be redelivered",
                DRAIN_TIMEOUT_SECONDS,
            )
        if self.mqtt is not None:
            self.mqtt.stop()
        for task in running.tasks:
            task.cancel()
        results = await asyncio.gather(*running.tasks, return_exceptions=True)
        if running.done_early is not None:
            running.done_early.cancel()
        await self._on_store(running.store.close)
        # A submission still in flight is waited for (its answer is recorded on the next start).
        self._threads.shutdown()
        return [
            r for r in results if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError)
        ]

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
                self._threads.io, registry_sync.sync, cfg.backend.url, cfg.backend.timeout_seconds, cache
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
                self._threads.io,
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
