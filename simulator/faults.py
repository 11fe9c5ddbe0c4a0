"""The fault plan of a run and the hostile messages it calls for.

The plan is drawn from the scenario's seed before the run starts, one
``random.Random`` per device, so the same seed always injects the same faults
at the same readings, whatever the timing of the run.  Hostile messages are
built with the firmware's own payload and COSE code (and the device's own
key, for clones), so they differ from genuine readings only where the fault
says.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from chain_client.message import decode
from chain_client.payload import Reading
from firmware.leasechain import cose, payload
from simulator.scenario import Scenario

# Per-reading faults, in the order they are drawn (the order is part of "same seed, same run").
PER_READING = (
    "forged_signatures",
    "replays",
    "clones",
    "duplicates",
    "reorders",
    "disconnects",
    "reboots",
    "impostors",
    "malformed",
    "oversized",
)

GENUINE = "genuine"
WRONG_KEY = "wrong_key"  # never enrolled
REVOKED = "revoked"  # enrolled, then revoked


@dataclass
class DevicePlan:
    """What goes wrong for one device."""

    role: str = GENUINE
    skew: int = 0
    offline: tuple[int, int] | None = None  # (first reading signed offline, how many)
    actions: dict[int, list[str]] = field(default_factory=dict)

    def at(self, reading: int) -> list[str]:
        """Faults planned at reading number ``reading`` of the run."""
        return self.actions.get(reading, [])


def plan(scenario: Scenario) -> list[DevicePlan]:
    """One plan per device of the fleet, extra (wrong-key and revoked) devices last."""
    run, faults = scenario.run, scenario.faults
    readings = max(1, int(run.rate * run.duration_seconds))
    plans: list[DevicePlan] = []
    genuine = run.devices
    for index in range(genuine + faults.wrong_key_devices + faults.revoked_devices):
        rng = random.Random(f"{run.seed}:{index}:faults")
        p = DevicePlan()
        if index >= genuine:
            p.role = WRONG_KEY if index < genuine + faults.wrong_key_devices else REVOKED
        elif rng.random() < faults.clock_skew.devices:
            p.skew = faults.clock_skew.seconds
        if p.role == GENUINE and rng.random() < faults.offline.devices and readings > 2:
            length = min(faults.offline.readings, readings - 1)
            p.offline = (rng.randrange(1, readings - length + 1), length)
        rates = [(name, float(getattr(faults, name))) for name in PER_READING]
        active = [(name, rate) for name, rate in rates if rate > 0]
        if active and p.role == GENUINE:
            for k in range(readings):
                hits = [name for name, rate in active if rng.random() < rate]
                if hits:
                    p.actions[k] = hits
        plans.append(p)
    return plans


def forged(message: bytes) -> bytes:
    """The message with one bit of its signature (the last 64 bytes) flipped."""
    return message[:-1] + bytes([message[-1] ^ 0x01])


def _fields(message: bytes) -> Reading:
    body = decode(message).body
    assert isinstance(body, Reading)
    return body


def clone(message: bytes, key: Any, kid: bytes) -> bytes:  # noqa: ANN401 - a firmware signer
    """Different content under the (boot, seq) of ``message``, signed with the device's own key."""
    r = _fields(message)
    values = dict(r.readings)
    values[1] = values.get(1, 0) + 777  # a temperature that never was
    encoded = payload.reading(
        kid, r.boot, r.seq, r.time, r.time_synced, values, r.run_seconds + 3600, r.cycles, r.prev, r.dropped
    )
    return bytes(cose.sign1(encoded, key, kid))


def impostor(message: bytes, attacker: Any, kid: bytes, seq: int) -> bytes:  # noqa: ANN401 - a signer
    """A reading in the name of device ``kid`` signed by a key that is not its own."""
    r = _fields(message)
    encoded = payload.reading(
        kid, r.boot, seq, r.time, r.time_synced, dict(r.readings), r.run_seconds, r.cycles, r.prev, 0
    )
    return bytes(cose.sign1(encoded, attacker, kid))


def malformed(message: bytes) -> bytes:
    """A message cut short in transit."""
    return message[: len(message) // 2]


def oversized(message: bytes) -> bytes:
    """A message padded past the protocol's 1024-byte limit."""
    return message + bytes(1100 - len(message))
