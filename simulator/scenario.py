"""Scenario files (TOML under configs/scenarios/): the fleet, its machines, the faults, the expectations.

Validated with pydantic; every mistake is reported with its key, its value
and what was expected, all at once.  docs/simulator.md describes every key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from chain_client.validation import problems
from simulator.errors import ScenarioError

MAX_HISTORY_SECONDS = 7 * 86400  # the gateway's default maximum age of a synchronised reading

SensorKind = Literal["clamp", "pulse", "ambient"]
DEFAULT_SENSORS: tuple[SensorKind, ...] = ("clamp", "ambient")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Run(_Model):
    """Fleet size, rates and time."""

    seed: int = 1
    devices: int = Field(default=10, ge=1, le=100_000)
    rate: float = Field(default=1.0, gt=0, le=100)  # readings per device per real second
    duration_seconds: float = Field(default=10.0, gt=0)  # real seconds of sampling
    acceleration: float = Field(default=1.0, ge=1, le=1_000_000)  # device seconds per real second
    connect_rate: float = Field(default=1000.0, gt=0)  # new connections per real second
    drain_seconds: float = Field(default=60.0, ge=0)  # wait for the gateway and ledger after the last publish
    keepalive_seconds: int = Field(default=60, ge=0, le=65535)

    @model_validator(mode="after")
    def _history_fits(self) -> Run:
        history = self.duration_seconds * self.acceleration
        if history > MAX_HISTORY_SECONDS:
            raise ValueError(
                f"duration_seconds * acceleration = {history:.0f} device seconds, more than the "
                f"{MAX_HISTORY_SECONDS} s a gateway accepts as the age of a reading"
            )
        return self


class Machine(_Model):
    """A kind of machine: when it runs and what its sensors see."""

    name: str = Field(min_length=1, max_length=40)
    share: float = Field(default=1.0, gt=0)  # relative share of the fleet
    sensors: list[SensorKind] = Field(default_factory=lambda: list(DEFAULT_SENSORS), min_length=1)
    shifts: list[tuple[float, float]] = Field(default_factory=lambda: [(0.0, 24.0)])  # hours of day, UTC
    duty_cycle: float = Field(default=0.5, ge=0, le=1)  # fraction of shift time it runs
    cycle_seconds: float = Field(default=600.0, gt=0)  # length of one run-or-idle stretch, device seconds
    running_current_ma: tuple[int, int] = (8000, 12000)
    idle_current_ma: tuple[int, int] = (50, 300)
    threshold_ma: int = Field(default=1000, ge=1)
    temperature_c: tuple[float, float] = (18.0, 30.0)
    humidity_pct: tuple[float, float] = (30.0, 60.0)
    cycles_per_hour: float = Field(default=60.0, ge=0, le=36_000)
    outbox_capacity: int = Field(default=2048, ge=1, le=1_000_000)
    adc_samples: int = Field(default=8, ge=2, le=1000)

    @model_validator(mode="after")
    def _ranges(self) -> Machine:
        for name in ("running_current_ma", "idle_current_ma", "temperature_c", "humidity_pct"):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"{name} = [{low}, {high}]: the low end is above the high end")
        for start, end in self.shifts:
            if not 0 <= start < end <= 24:
                raise ValueError(f"shift [{start}, {end}]: expected 0 <= start < end <= 24 (hours, UTC)")
        return self


class Skew(_Model):
    """Devices whose synchronised clock is off by ``seconds``."""

    devices: float = Field(default=0.0, ge=0, le=1)  # fraction of the fleet
    seconds: int = 3600


class Offline(_Model):
    """Devices that lose their link for a while and buffer readings in flash, then flush."""

    devices: float = Field(default=0.0, ge=0, le=1)
    readings: int = Field(default=10, ge=1)  # readings signed while offline


class Faults(_Model):
    """What goes wrong; fractions are per reading unless said otherwise."""

    forged_signatures: float = Field(default=0.0, ge=0, le=1)
    replays: float = Field(default=0.0, ge=0, le=1)  # an older reading sent again verbatim
    clones: float = Field(
        default=0.0, ge=0, le=1
    )  # other content under a (boot, seq) already sent, device's own key
    duplicates: float = Field(default=0.0, ge=0, le=1)
    reorders: float = Field(default=0.0, ge=0, le=1)
    disconnects: float = Field(default=0.0, ge=0, le=1)  # link cut before the PUBACK; the device sends again
    reboots: float = Field(default=0.0, ge=0, le=1)
    impostors: float = Field(default=0.0, ge=0, le=1)  # an enrolled device's id, signed by another key
    malformed: float = Field(default=0.0, ge=0, le=1)
    oversized: float = Field(default=0.0, ge=0, le=1)
    clock_skew: Skew = Skew()
    offline: Offline = Offline()
    wrong_key_devices: int = Field(default=0, ge=0)  # devices whose keys were never enrolled
    revoked_devices: int = Field(default=0, ge=0)  # enrolled, then revoked on the ledger before the run


class Expect(_Model):
    """What must hold for the run to pass."""

    max_loss: float = Field(
        default=0.0, ge=0, le=1
    )  # fraction of genuine readings that never reached the ledger
    max_duplicates: int = Field(default=0, ge=0)
    max_false_accepts: int = Field(default=0, ge=0)
    max_false_rejects: int = Field(default=0, ge=0)
    max_pending: float = Field(default=0.0, ge=0, le=1)  # fraction still in device outboxes at the end
    max_p99_stored_ms: float | None = Field(default=None, gt=0)
    max_p99_anchored_ms: float | None = Field(default=None, gt=0)


class Gateway(_Model):
    """What the simulator assumes of the gateway's verifier, to predict verdicts."""

    max_future_seconds: int = 300


class Scenario(_Model):
    """A whole scenario file."""

    name: str = "scenario"
    description: str = ""
    run: Run = Run()
    machines: list[Machine] = Field(default_factory=lambda: [Machine(name="generic")], min_length=1)
    faults: Faults = Faults()
    expect: Expect = Expect()
    gateway: Gateway = Gateway()

    def with_overrides(
        self, devices: int | None = None, rate: float | None = None, duration: float | None = None
    ) -> Scenario:
        """The same scenario with the command line's fleet size, rate or duration."""
        changes: dict[str, Any] = {}
        if devices is not None:
            changes["devices"] = devices
        if rate is not None:
            changes["rate"] = rate
        if duration is not None:
            changes["duration_seconds"] = duration
        if not changes:
            return self
        data = self.model_dump()
        data["run"].update(changes)
        return parse(data, "command line")


def parse(data: dict[str, Any], source: str = "scenario") -> Scenario:
    """Validate a parsed TOML document; raise ScenarioError listing every problem."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        found = problems(exc, Scenario)
        raise ScenarioError(f"{source}: {len(found)} problem(s)\n  " + "\n  ".join(found)) from None


def load(path: Path) -> Scenario:
    """Read and validate the scenario file at ``path``."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    return parse(data, str(path))
