"""The gateway's TOML configuration, validated with pydantic.

Every section forbids unknown keys, so a typo is reported instead of being
silently ignored.  :func:`load` turns pydantic's errors into lines that name
the key, the value found and what was expected.  Secrets (MQTT password,
backend token) are never written in the file itself: they are read from a
systemd credential (``LoadCredential=``, found in ``$CREDENTIALS_DIRECTORY``)
or from a file readable only by the service user.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chain_client.validation import problems
from gateway.errors import ConfigError
from gateway.quarantine import DEFAULT_MAX_ROWS, MAX_ROW_BYTES

DEFAULT_CONFIG_PATH = Path("/etc/leasechain/gateway.toml")
DEFAULT_STATE_DIRECTORY = Path("/var/lib/leasechain-gateway")

PositiveFloat = Annotated[float, Field(gt=0)]
Port = Annotated[int, Field(ge=1, le=65535)]


# A path is written as a TOML string; everything else must have its TOML type
# (strict: `enabled = "yes"` or `port = "1883"` is an error, not a guess).
ConfigPath = Annotated[Path, Field(strict=False)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SecretRef(_Section):
    """Where a secret comes from: a systemd credential name or a file path (exactly one)."""

    credential: str | None = None
    file: ConfigPath | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.credential is None) == (self.file is None):
            raise ValueError("give exactly one of 'credential' (a systemd credential name) or 'file'")
        if self.credential is not None and ("/" in self.credential or not self.credential):
            raise ValueError(f"credential {self.credential!r} must be a plain name without '/'")
        return self

    def read(self, key: str) -> str:
        """Read the secret; raise :class:`ConfigError` naming ``key`` if it cannot be read."""
        if self.credential is not None:
            directory = os.environ.get("CREDENTIALS_DIRECTORY")
            if not directory:
                raise ConfigError(
                    key,
                    [
                        f"{key}.credential = {self.credential!r}: $CREDENTIALS_DIRECTORY is not set; "
                        "expected the service to be started by systemd with LoadCredential="
                    ],
                )
            path = Path(directory) / self.credential
        else:
            assert self.file is not None
            path = self.file
        try:
            return path.read_text().strip()
        except OSError as exc:
            raise ConfigError(key, [f"{key}: cannot read secret from {path}: {exc.strerror}"]) from None


class GatewaySection(_Section):
    """Identity and state of this gateway."""

    id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
    state_directory: ConfigPath | None = None

    def state_dir(self) -> Path:
        """The state directory: the configured one, else ``$STATE_DIRECTORY``, else the default."""
        if self.state_directory is not None:
            return self.state_directory
        env = os.environ.get("STATE_DIRECTORY")
        # systemd may pass several colon-separated directories; the first is ours.
        return Path(env.split(":")[0]) if env else DEFAULT_STATE_DIRECTORY


class MqttSection(_Section):
    """The site broker the sensors publish to."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: Port = 1883
    client_id: str | None = None
    protocol: Literal["5", "3.1.1"] = "5"
    username: str | None = None
    password: SecretRef | None = None
    tls_ca_file: ConfigPath | None = None
    keepalive_seconds: Annotated[int, Field(ge=5, le=65535)] = 30
    session_expiry_seconds: Annotated[int, Field(ge=0, le=4294967295)] = 7 * 24 * 3600
    share_group: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")] | None = None
    reconnect_min_seconds: PositiveFloat = 1.0
    reconnect_max_seconds: PositiveFloat = 60.0

    @model_validator(mode="after")
    def _checks(self) -> MqttSection:
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            raise ValueError("reconnect_max_seconds must be >= reconnect_min_seconds")
        if self.share_group is not None and self.protocol != "5":
            raise ValueError('share_group needs protocol = "5" (shared subscriptions are MQTT 5)')
        return self


class SerialPort(_Section):
    """One wired sensor line."""

    path: str
    baudrate: Annotated[int, Field(ge=300, le=4_000_000)] = 115200


class SerialSection(_Section):
    """UART ingestion for wired sensors."""

    ports: list[SerialPort] = []


class VerifySection(_Section):
    """Verification limits of docs/protocol.md."""

    max_future_seconds: Annotated[int, Field(ge=0)] = 300
    max_age_seconds: Annotated[int, Field(ge=60)] = 7 * 24 * 3600


class StoreSection(_Section):
    """The durable SQLite store."""

    path: ConfigPath | None = None
    max_bytes: Annotated[int, Field(ge=1_000_000)] = 1 << 30
    keep_anchored_seconds: Annotated[int, Field(ge=0)] = 7 * 24 * 3600
    # Past this many quarantine rows the oldest are evicted (gateway/quarantine.py bounds a row).
    quarantine_max_rows: Annotated[int, Field(ge=1)] = DEFAULT_MAX_ROWS

    @model_validator(mode="after")
    def _checks(self) -> StoreSection:
        # Bad input must never fill the room that readings need: at most half the store.
        limit = self.max_bytes // 2 // MAX_ROW_BYTES
        if self.quarantine_max_rows > limit:
            raise ValueError(
                f"quarantine_max_rows = {self.quarantine_max_rows} could take "
                f"{self.quarantine_max_rows * MAX_ROW_BYTES} bytes (up to {MAX_ROW_BYTES} a row), more than "
                f"half of max_bytes = {self.max_bytes}; expected at most {limit}"
            )
        return self


class IngestSection(_Section):
    """How many messages are verified and committed together."""

    max_batch: Annotated[int, Field(ge=1, le=10_000)] = 500
    verify_threads: Annotated[int, Field(ge=1, le=16)] = 2


class BatchSection(_Section):
    """When readings are sealed into an anchoring batch."""

    # A batch's messages travel beside its small ledger transaction (POST /v1/batches), in a
    # request body the backend bounds; 3500 messages of the protocol's maximum size fit it.
    max_readings: Annotated[int, Field(ge=1, le=3500)] = 1000
    max_age_seconds: PositiveFloat = 60.0


class BackendSection(_Section):
    """The ledger backend that anchors batches and serves the device registry."""

    url: Annotated[str, Field(pattern=r"^https?://")] | None = None
    # The gateway's service key (Ed25519 seed, 64 hex digits): it signs anchor_batch transactions.
    key: SecretRef | None = None
    timeout_seconds: PositiveFloat = 10.0
    backoff_initial_seconds: PositiveFloat = 1.0
    backoff_max_seconds: PositiveFloat = 300.0

    @model_validator(mode="after")
    def _checks(self) -> BackendSection:
        if self.backoff_max_seconds < self.backoff_initial_seconds:
            raise ValueError("backoff_max_seconds must be >= backoff_initial_seconds")
        return self


class RegistrySection(_Section):
    """Where device keys come from: a file (offline sites), the backend, or both."""

    file: ConfigPath | None = None
    sync_from_backend: bool = True
    sync_interval_seconds: Annotated[float, Field(ge=5)] = 300.0


class BrokerAccessSection(_Section):
    """Mosquitto's password and ACL files, written from the device registry (gateway/broker_access.py)."""

    password_file: ConfigPath | None = None
    acl_file: ConfigPath | None = None
    # The site secret sensor passwords derive from (any long random string; 64 hex digits is fine).
    secret: SecretRef | None = None

    @model_validator(mode="after")
    def _checks(self) -> BrokerAccessSection:
        given = [self.password_file is not None, self.acl_file is not None, self.secret is not None]
        if any(given) and not all(given):
            raise ValueError("give all of password_file, acl_file and secret, or none")
        return self

    @property
    def enabled(self) -> bool:
        """Whether the gateway keeps the broker's files."""
        return self.password_file is not None


class MetricsSection(_Section):
    """The local Prometheus endpoint."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 9108


class LogSection(_Section):
    """Logging to stderr (journald when run by systemd)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # At most one summary line of quarantined messages (by reason and device) this often.
    quarantine_summary_seconds: Annotated[float, Field(ge=1, le=86400)] = 60.0


class Config(_Section):
    """The whole gateway configuration."""

    gateway: GatewaySection
    mqtt: MqttSection = MqttSection()
    serial: SerialSection = SerialSection()
    verify: VerifySection = VerifySection()
    store: StoreSection = StoreSection()
    ingest: IngestSection = IngestSection()
    batch: BatchSection = BatchSection()
    backend: BackendSection = BackendSection()
    registry: RegistrySection = RegistrySection()
    broker_access: BrokerAccessSection = BrokerAccessSection()
    metrics: MetricsSection = MetricsSection()
    log: LogSection = LogSection()

    @model_validator(mode="after")
    def _checks(self) -> Config:
        if self.registry.file is None and (self.backend.url is None or not self.registry.sync_from_backend):
            raise ValueError(
                "no source of device keys: set registry.file, or backend.url with registry.sync_from_backend"
            )
        if self.backend.url is not None and self.backend.key is None:
            raise ValueError("backend.url is set but backend.key is not; the gateway signs its batches")
        if self.broker_access.enabled and (self.mqtt.username is None or self.mqtt.password is None):
            raise ValueError(
                "broker_access needs mqtt.username and mqtt.password: the gateway writes its own entry too"
            )
        if not self.mqtt.enabled and not self.serial.ports:
            raise ValueError("no input: enable [mqtt] or list [[serial.ports]]")
        return self

    def store_path(self) -> Path:
        """The SQLite file: ``store.path`` or ``gateway.sqlite3`` in the state directory."""
        return self.store.path or self.gateway.state_dir() / "gateway.sqlite3"

    def registry_cache_path(self) -> Path:
        """Where the last registry synced from the backend is kept for offline restarts."""
        return self.gateway.state_dir() / "registry-cache.json"


def parse(data: dict[str, Any], source: str = "config") -> Config:
    """Validate an already-parsed TOML document; raise :class:`ConfigError` listing every mistake."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, problems(exc, Config)) from None


def load(path: Path) -> Config:
    """Read and validate the TOML file at ``path``."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None
    return parse(data, str(path))
