"""Fleet simulator capacity: connections held, messages offered and stored, CPU per message.

Starts a private Mosquitto (fd limit raised, no connection cap) and runs
``--devices`` virtual devices from this one process, twice:

- ``capacity``: at ``--rate`` readings per device per second with nobody
  subscribed, so the simulator and the broker have the machine: how many
  connections one process holds and how many readings per second it offers;
- ``site``: at ``--site-rate`` with a real gateway subscribed (a registry
  file with the fleet's keys, no ledger: bench/gateway_throughput.py measures
  the gateway itself), which shares the machine's CPU with the simulator.

Each phase reports ``connections_held`` (at the start of sampling, and the
fewest connected at any one-second sample during it), ``offered_per_s``
(PUBLISHes written), ``acknowledged_per_s`` (PUBACKs), ``cpu_s_per_1000``
(the simulator process's CPU seconds per 1,000 readings published,
connection set-up excluded), ``per_core_per_s`` (readings per second one core
would offer at that cost) and, for the site phase, ``stored_per_s`` (the
gateway's commits over the same window).  ``baseline`` is the device logic
alone (firmware ``Device.sample`` with libsodium signing on virtual flash,
no network), measured in the same run; ``ratio_to_baseline`` is the capacity
phase's CPU per reading over it.

Usage: ``python -m bench.fleet [--devices 10000] [--rate 0.6] [--site-rate 0.2] [--duration 20]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop
from nacl.signing import SigningKey

from simulator import faults
from simulator.device import VirtualDevice, signer_for
from simulator.fleet import Fleet
from simulator.scenario import Scenario, parse
from simulator.services import Broker, Gateway, raise_fd_limit
from simulator.truth import Truth


def scenario(devices: int, rate: float, duration: float) -> Scenario:
    return parse(
        {
            "name": "bench",
            "run": {
                "seed": 77,
                "devices": devices,
                "rate": rate,
                "duration_seconds": duration,
                "connect_rate": 2500,
                "drain_seconds": 30,
                "keepalive_seconds": 120,
            },
            # A current clamp on every machine (a compressor fleet): the firmware's clamp driver,
            # sampling a fake ADC four times a reading.
            "machines": [{"name": "compressor", "sensors": ["clamp"], "adc_samples": 4}],
        }
    )


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def baseline(sc: Scenario, readings: int) -> dict[str, float]:
    """Device logic alone: sample and sign on virtual flash, no network."""
    plan = faults.plan(sc)
    devices = [
        VirtualDevice(i, sc.run.seed, sc.machines[0], plan[i], Truth(), ("127.0.0.1", 1), 300, 60)
        for i in range(100)
    ]
    start_cpu, start = cpu(), time.perf_counter()
    t = time.time()
    for k in range(readings // len(devices)):
        for vd in devices:
            vd.sample(k, t + k)
            vd.device.delivered(vd.device.state.head)
    wall = time.perf_counter() - start
    used = cpu() - start_cpu
    n = (readings // len(devices)) * len(devices)
    return {"readings": n, "per_s": round(n / wall, 1), "cpu_s_per_1000": round(used / n * 1000, 4)}


def stored(path: Path) -> tuple[int, float]:
    """Readings stored by the gateway so far (its store, read-only), and when."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return int(db.execute("SELECT COUNT(*) FROM readings").fetchone()[0]), time.time()
        finally:
            db.close()
    except sqlite3.Error:
        return 0, time.time()


async def measured_run(fleet: Fleet, store: Path) -> dict[str, Any]:
    held: list[int] = []
    marks: dict[str, Any] = {}

    async def monitor() -> None:
        while True:
            await asyncio.sleep(1.0)
            if fleet.progress.phase == "sample":
                if "cpu0" not in marks:
                    marks["cpu0"], marks["t0"] = cpu(), time.time()
                    marks["stored0"] = stored(store)
                    marks["connected_at_start"] = fleet.progress.connected
                held.append(sum(1 for vd in fleet.devices if vd.online))
            elif fleet.progress.phase in ("drain", "done") and "cpu1" not in marks and "cpu0" in marks:
                marks["cpu1"], marks["t1"] = cpu(), time.time()

    task = asyncio.create_task(monitor())
    await fleet.run()
    task.cancel()
    marks.setdefault("cpu1", cpu())
    marks.setdefault("t1", fleet.sampling_ended)
    marks["held"] = held
    return marks


def phase(sc: Scenario, broker: Broker, store: Path | None) -> dict[str, Any]:
    """One run of the fleet; the gateway's store, when given, tells what was stored."""
    fleet = Fleet(sc, (broker.host, broker.port))
    start_cpu = cpu()
    marks = uvloop.run(measured_run(fleet, store or Path("/nonexistent")))
    truth = fleet.truth
    published = sum(s.copies for s in truth.sent.values())
    acked = sum(1 for s in truth.sent.values() if s.acked_at)
    window = max(1e-9, fleet.sampling_ended - fleet.sampling_started)
    sampling_cpu = marks["cpu1"] - marks.get("cpu0", start_cpu)
    out: dict[str, Any] = {
        "devices": len(fleet.devices),
        "rate_per_device": sc.run.rate,
        "connections_held": {
            "at_start": marks.get("connected_at_start", 0),
            "min_during_run": min(marks["held"]) if marks["held"] else 0,
        },
        "published": published,
        "sampling_s": round(window, 2),
        "offered_per_s": round(published / window, 1),
        "acknowledged_per_s": round(acked / window, 1),
        "cpu_s_per_1000": round(sampling_cpu / max(1, published) * 1000, 4),
        # What one core would offer at this cost: the figure that does not depend on how
        # much of the machine other processes took during the run.
        "per_core_per_s": round(published / max(1e-9, sampling_cpu), 1),
        "publish_errors": truth.publish_errors,
    }
    if store is not None:
        deadline = time.time() + 60
        while stored(store)[0] < acked and time.time() < deadline:
            time.sleep(0.5)
        end = stored(store)
        begin = marks.get("stored0", (0, fleet.sampling_started))
        out["stored"] = end[0]
        out["stored_per_s"] = round((end[0] - begin[0]) / max(1e-9, end[1] - begin[1]), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument(
        "--rate", type=float, default=0.6, help="readings per device per second (capacity run)"
    )
    parser.add_argument(
        "--site-rate", type=float, default=0.2, help="readings per device per second (with gateway)"
    )
    parser.add_argument("--duration", type=float, default=20.0)
    args = parser.parse_args()
    limit = raise_fd_limit(args.devices * 2 + 4096)
    base = baseline(scenario(100, 1, 1), 20_000)
    work = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    broker = Broker(work / "broker", prefer="mosquitto")
    broker.start()
    gateway: Gateway | None = None
    try:
        capacity = phase(scenario(args.devices, args.rate, args.duration), broker, None)
        registry = work / "devices.json"
        keys = [{"public_key": signer_for(77, i).public_key.hex()} for i in range(args.devices)]
        registry.write_text(json.dumps({"devices": keys}))
        gateway = Gateway(
            work / "gateway",
            (broker.host, broker.port, "5"),
            None,
            SigningKey.generate(),
            registry_file=registry,
        )
        gateway.start()
        site = phase(scenario(args.devices, args.site_rate, args.duration), broker, gateway.store)
    finally:
        if gateway is not None:
            gateway.stop()
        broker.stop()
    result = {
        "fd_limit": limit,
        "capacity": capacity,
        "site": site,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "baseline": base,
        "ratio_to_baseline": round(capacity["cpu_s_per_1000"] / base["cpu_s_per_1000"], 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
