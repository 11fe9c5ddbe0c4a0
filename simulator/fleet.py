"""The fleet: builds the virtual devices of a scenario and runs them against a broker.

Phases: boot every device (keys, flash, counters); connect them all, rate
limited; sample on the scenario's schedule with faults injected; drain (each
device empties its outbox); disconnect.  ``Fleet.run`` returns the ground
truth; observers and the verdict come after (verdict.py).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from simulator import faults
from simulator.device import VirtualDevice
from simulator.machines import pick_profile
from simulator.mqtt import MqttConnection
from simulator.scenario import Scenario
from simulator.truth import Truth

GOLDEN = 0.6180339887498949  # spreads the devices' phases evenly over a period, whatever the fleet size


@dataclass
class Progress:
    """Live counters for the progress line."""

    phase: str = "boot"
    connected: int = 0
    devices: int = 0
    started: float = 0.0


class Fleet:
    """Every virtual device of one scenario."""

    def __init__(
        self,
        scenario: Scenario,
        broker: tuple[str, int],
        progress: Callable[[str], None] | None = None,
        first_boot: int | None = None,
    ) -> None:
        self.scenario = scenario
        # Boot numbers go on from the wall clock (one boot per second at most since the epoch):
        # every run boots its devices anew, so a site that anchored an earlier run of the same
        # fleet (same seed, same keys) sees new boots, never old (boot, seq) with new bytes.
        self.first_boot = int(time.time()) if first_boot is None else first_boot
        self.broker = broker
        self.truth = Truth()
        self.plans = faults.plan(scenario)
        self.progress = Progress(devices=len(self.plans))
        self._report = progress
        run = scenario.run
        self.devices = [
            VirtualDevice(
                index,
                run.seed,
                pick_profile(scenario.machines, min(index, run.devices - 1), run.devices),
                plan,
                self.truth,
                broker,
                scenario.gateway.max_future_seconds,
                run.keepalive_seconds,
                self.first_boot,
            )
            for index, plan in enumerate(self.plans)
        ]
        self.readings = max(1, int(run.rate * run.duration_seconds))
        self.stopping = False
        self.history_start: float | None = (
            None  # device time of the run's start; default: ends at the wall clock
        )
        self.sampling_started = 0.0
        self.sampling_ended = 0.0

    def stop(self) -> None:
        """Ask every device to stop at its next step (Ctrl-C)."""
        self.stopping = True

    async def probe(self) -> None:
        """Fail early, with the broker's answer, when the broker cannot be used at all."""
        host, port = self.broker
        conn = MqttConnection(host, port, f"leasechain-sim-probe-{self.scenario.run.seed}")
        await conn.connect(timeout=10)  # raises MqttError naming the broker and the reason
        conn.disconnect()

    async def connect_all(self) -> None:
        """Connect every device, at most ``connect_rate`` new connections per second."""
        self.progress.phase = "connect"
        run = self.scenario.run
        loop = asyncio.get_running_loop()
        limit = asyncio.Semaphore(256)
        start = loop.time()

        async def one(i: int, vd: VirtualDevice) -> None:
            due = start + i / run.connect_rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            async with limit:
                deadline = loop.time() + 30
                while not self.stopping and not await vd.connect():
                    if loop.time() > deadline:
                        return
                    await asyncio.sleep(0.5)
                self.progress.connected += 1

        await asyncio.gather(*(one(i, vd) for i, vd in enumerate(self.devices)))

    async def _drive(self, vd: VirtualDevice, t0: float, history_start: float) -> None:
        run = self.scenario.run
        loop = asyncio.get_running_loop()
        offset = (vd.index * GOLDEN) % 1.0
        offline = vd.plan.offline
        for k in range(self.readings):
            if self.stopping:
                return
            at = (offset + k) / run.rate
            delay = t0 + at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            away = offline is not None and offline[0] <= k < offline[0] + offline[1]
            if offline is not None and k == offline[0]:
                vd.drop()
            if not away and not vd.online:
                await vd.reconnect(loop.time() + 10)
                await vd.flush()  # as the firmware's Device.connect: announce, then empty the outbox
            message = vd.sample(k, history_start + at * run.acceleration)
            if away or not vd.online:
                continue
            actions = vd.plan.at(k)
            if not actions and not vd.held:
                await vd.flush()  # the common case: nothing planned at this reading
                continue
            if "reorders" in actions and not vd.held and vd.device.pending() == 1:
                vd.held = True  # delivered after the next one
                vd.truth.injected["reorders"] += 1
                continue
            swap, vd.held = vd.held, False
            await vd.flush(cut_after_first="disconnects" in actions, swap=swap)
            if vd.online:
                await vd.send_raw(vd.hostile(k, message))

    async def _drain(self, vd: VirtualDevice, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        while vd.device.pending() and loop.time() < deadline and not self.stopping:
            if not vd.online:
                await vd.reconnect(deadline)
            await vd.flush()

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if self._report is not None:
                self._report(self.status_line())

    def status_line(self) -> str:
        """One line of progress."""
        t = self.truth
        acked = sum(1 for s in t.sent.values() if s.acked_at)
        inflight = sum(vd.conn.pending for vd in self.devices if vd.conn is not None)
        elapsed = time.monotonic() - self.progress.started
        return (
            f"[{elapsed:6.1f} s] {self.progress.phase:8s} connected {self.progress.connected}/"
            f"{self.progress.devices}  signed {t.signed}  acknowledged {acked}  in flight {inflight}  "
            f"errors {t.publish_errors}"
        )

    async def run(self) -> Truth:
        """Connect, sample, drain and disconnect; return the ground truth."""
        run = self.scenario.run
        self.progress.started = time.monotonic()
        ticker = asyncio.create_task(self._ticker())
        # Ten thousand devices are a great many long-lived objects: keep them out of the
        # cycle collector's generations so it does not rescan them all through the run.
        # Every reading allocates a few short-lived objects; a larger first generation makes
        # the collector run a hundred times less often for the same garbage.
        gc.collect()
        gc.freeze()
        thresholds = gc.get_threshold()
        gc.set_threshold(50_000, 50, 1000)
        try:
            await self.probe()
            await self.connect_all()
            self.progress.phase = "sample"
            loop = asyncio.get_running_loop()
            t0 = loop.time() + 0.2
            wall0 = time.time() + 0.2
            # Device time runs ``acceleration`` times faster and ends at the wall clock, so
            # the last readings are current and none is older than the gateway accepts.
            history_start = wall0 + run.duration_seconds - run.duration_seconds * run.acceleration
            if self.history_start is not None:
                history_start = self.history_start
            self.sampling_started = wall0
            await asyncio.gather(*(self._drive(vd, t0, history_start) for vd in self.devices))
            self.sampling_ended = time.time()
            self.progress.phase = "drain"
            deadline = loop.time() + max(10.0, run.drain_seconds)
            await asyncio.gather(*(self._drain(vd, deadline) for vd in self.devices))
        finally:
            gc.set_threshold(*thresholds)
            ticker.cancel()
            for vd in self.devices:
                self.truth.pending_at_end += vd.device.pending()
                vd.close()
            await asyncio.sleep(0.1)  # let the DISCONNECTs go out
        self.progress.phase = "done"
        return self.truth


def run_fleet(fleet: Fleet) -> Fleet:
    """Run a fleet to completion in a fresh uvloop event loop."""
    import uvloop

    uvloop.run(fleet.run())
    return fleet


def tty_progress(line: str) -> None:
    """Write a progress line over the previous one (only called when stdout is a terminal)."""
    sys.stdout.write("\r" + line[:150].ljust(150))
    sys.stdout.flush()
