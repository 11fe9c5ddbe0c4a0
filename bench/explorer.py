"""The explorer's server time per page type and a full CSV export, on a ledger of many readings.

Builds a ledger in process on SQLite: ``--devices`` sensors (default 10) bound to their machines
send ``--readings`` readings (default 1,000,000) in batches of 1,000, and one lease of its own
machine is invoiced on 1,000 readings and paid. Then it starts ``leasechain-backend serve`` over
that database and ``leasechain-explorer`` over the backend, both as their own processes, and
measures, from a client on the same host:

- ``pages``: p50 and p95 milliseconds of each page type (``--samples`` requests each, after a
  warm-up), from the request to the last byte: the explorer's work plus the API calls it makes;
- ``export``: a machine's whole reading list as CSV (``/machine/{token}/readings.csv``, one
  machine's share of the readings): rows, seconds, rows per second and the explorer's resident
  memory before and after;
- baselines from the same run: ``api_info_ms`` (the backend's cheapest answer, p50) and
  ``api_rows_per_second`` (the same readings paged straight from the API by the SDK).

Target: p95 ≤ 100 ms for every page type. Run: ``python -m bench.explorer [--readings N]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from backend.domain.rent import ended_period_evidence
from backend.ledger import Ledger
from backend.storage import Storage
from bench.ledger import Actor, account, key, submit_all
from bench.ledger_growth import Fleet
from chain_client import message
from chain_client.client import LedgerClient, invoice_id, token_id
from chain_client.device import device_id
from chain_client.payload import Reading
from harness.ports import free_port

DAY = 86_400
TARGET_P95_MS = 100.0


def _lease(ledger: Ledger, fleet: Fleet, readings: int) -> tuple[str, str]:
    """A lease of a machine of its own, its first period invoiced on ``readings`` readings and paid."""
    actor, maker, lessee = fleet.actor, fleet.maker, fleet.lessee
    dev = key("bench-explorer-dev")
    did = device_id(bytes(dev.verify_key))
    token = token_id(account(maker), "BENCH-LEASE")
    bind = actor.tx(maker, "bind_device", token=token, public_key=bytes(dev.verify_key))
    submit_all(ledger, [fleet.mint("BENCH-LEASE"), bind], 1)
    start = int(time.time()) - 2 * DAY
    terms = {
        "start": start, "end": start + 3 * DAY, "period": DAY, "fixed_rent": 45_000, "usage_rate": 240,
        "deposit": 0, "grace": DAY, "fees": [], "expires": start + 3 * DAY,
    }  # fmt: skip
    submit_all(ledger, [actor.tx(maker, "offer_lease", token=token, lessee=account(lessee), **terms)], 1)
    lease = next(lid for lid, v in ledger.state.leases.items() if v.token == token)
    submit_all(ledger, [actor.tx(lessee, "sign_lease", lease=lease)], 1)
    signed = [
        message.sign(Reading(did, 1, seq, start + 60 * seq, True, {1: 2100}, run_seconds=30 * seq), dev)
        for seq in range(1, readings + 2)  # the first is the meter's baseline
    ]
    fleet.anchor(signed)
    ev = ended_period_evidence(ledger.readings, ledger.state.leases[lease], 0, ledger.now(), ledger.size)
    bill = {"usage_seconds": ev.usage_seconds, "evidence": ev.digest}
    submit_all(ledger, [actor.tx(maker, "issue_invoice", lease=lease, period=0, **bill)], 1)
    invoice = invoice_id(lease, 0)
    submit_all(ledger, [actor.tx(lessee, "pay_invoice", invoice=invoice)], 1)
    return lease, invoice


def build(work: Path, devices: int, readings: int) -> dict[str, Any]:
    """The ledger under ``work`` (``ledger.sqlite3``, ``operator.key``); what the pages will show."""
    ledger = Ledger(Storage(f"sqlite:///{work / 'ledger.sqlite3'}"), key("operator"), verify_workers=2)
    ledger.open()
    ledger.begin("Bench", "EUR")
    fleet = Fleet(ledger, Actor(key("operator")), devices)
    fleet.enrol()
    started = time.perf_counter()
    for batch in fleet.batches(readings // 1000, 1000):
        fleet.anchor(batch)
    built = time.perf_counter() - started
    lease, invoice = _lease(ledger, fleet, 1000)
    out = {
        "size": ledger.size,
        "maker": account(fleet.maker),
        "token": fleet.token(0),
        "lease": lease,
        "invoice": invoice,
        "anchor_seconds": round(built, 1),
    }
    ledger.close()
    (work / "operator.key").write_text(bytes(key("operator")).hex())
    return out


def _start(args: list[str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
            return process
        except httpx.TransportError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{args[0]} did not start on port {port}")


def _times(http: httpx.Client, url: str, samples: int) -> list[float]:
    for _ in range(3):
        http.get(url)
    out = []
    for _ in range(samples):
        started = time.perf_counter()
        answer = http.get(url)
        out.append((time.perf_counter() - started) * 1000)
        if answer.status_code >= 400:  # a search with one match answers 303 to its page
            raise RuntimeError(f"GET {url} answered {answer.status_code}: {answer.text[:200]}")
    return out


def _summary(times: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(times, n=20)
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(cuts[18], 1)}


def measure(work: Path, facts: dict[str, Any], samples: int) -> dict[str, Any]:
    """Serve the ledger and the explorer, and time their pages and the export."""
    backend_port, explorer_port = free_port(), free_port()
    tools = Path(sys.executable).parent
    backend = _start(
        [str(tools / "leasechain-backend"), "serve", "--data-dir", str(work), "--port", str(backend_port)],
        backend_port,
    )
    api = f"http://127.0.0.1:{backend_port}"
    explorer = _start(
        [str(tools / "leasechain-explorer"), "--ledger", api, "--port", str(explorer_port)], explorer_port
    )
    site = f"http://127.0.0.1:{explorer_port}"
    try:
        size = facts["size"]
        pages = {
            "home": "/",
            "log": "/log",
            "log_middle": f"/log?before={size // 2}",
            "entry": f"/entry/{size // 2}",
            "entry_proof": f"/entry/{size // 2}/proof.json",
            "machine": f"/machine/{facts['token']}",
            "enterprise": f"/enterprise/{facts['maker']}",
            "lease": f"/lease/{facts['lease']}",
            "invoice": f"/invoice/{facts['invoice']}",
            "trace_1000_readings": f"/lease/{facts['lease']}/trace/0.json",
            "search": "/search?q=G-7",
        }
        out: dict[str, Any] = {"pages": {}}
        with httpx.Client(base_url=site, timeout=300) as http:
            for name, path in pages.items():
                out["pages"][name] = _summary(_times(http, path, samples))
            with httpx.Client(base_url=api) as raw:
                out["api_info_ms"] = _summary(_times(raw, "/v1/info", samples))["p50_ms"]
            out["export"] = _export(http, explorer, facts["token"])
        with LedgerClient(api) as client:
            started = time.perf_counter()
            rows = sum(1 for _ in client.iter_telemetry(token=facts["token"]))
            out["api_rows_per_second"] = round(rows / (time.perf_counter() - started))
        worst = max(p["p95_ms"] for p in out["pages"].values())
        out["worst_p95_ms"], out["target_p95_ms"] = worst, TARGET_P95_MS
        out["meets_target"] = worst <= TARGET_P95_MS
        return out
    finally:
        for process in (explorer, backend):
            process.terminate()
            process.wait(timeout=30)


def _export(http: httpx.Client, explorer: subprocess.Popen[bytes], token: str) -> dict[str, Any]:
    proc = psutil.Process(explorer.pid)
    rss_before = proc.memory_info().rss / 2**20
    started = time.perf_counter()
    rows, size = -1, 0  # the header line is not a row
    with http.stream("GET", f"/machine/{token}/readings.csv") as answer:
        for line in answer.iter_lines():
            rows += 1
            size += len(line) + 1
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "bytes": size,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "explorer_rss_mb_before": round(rss_before, 1),
        "explorer_rss_mb_after": round(proc.memory_info().rss / 2**20, 1),
    }


def main() -> None:
    """Build, serve, measure; print one JSON object."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--readings", type=int, default=1_000_000)
    p.add_argument("--devices", type=int, default=10)
    p.add_argument("--samples", type=int, default=40)
    options = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="leasechain-explorer-bench-"))
    try:
        facts = build(work, options.devices, options.readings)
        out = {"readings": options.readings, "devices": options.devices, "log_size": facts["size"]}
        out["anchor_seconds"] = facts["anchor_seconds"]
        out.update(measure(work, facts, options.samples))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
