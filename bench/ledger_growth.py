"""How the ledger's cost grows with the readings it has anchored; prints one JSON object.

Anchors ``--readings N`` readings (default 2,000,000) from ``--devices`` devices (default 1,000) in
batches of ``--batch`` (default 1,000), one reading of every device per batch, in process on SQLite
(or on the database ``--db URL``).  In the same run it measures:

- ``rss_mb_per_million_readings``: growth of the process's resident memory between N/2 and N,
  across the restart at N/2 (the ledger is closed and opened again in the same process);
- ``disk_bytes_per_reading``: database size (after a WAL checkpoint) per reading anchored; on
  PostgreSQL the schema's tables with their indexes and TOAST (``pg_total_relation_size``);
- ``restart_seconds_half`` and ``restart_seconds``: opening the ledger again after N/2 and after N
  (the newest snapshot plus the tail), each the median of ``RESTARTS`` opens, each in a new
  process, as a restarted server is (a single one of a fifth of a second moves by tens of percent
  with the machine's other work), all of them in ``restart_seconds_half_runs`` and
  ``restart_seconds_runs``; the bench's own process then opens the ledger again and goes on;
  ``restart_tail_entries_half`` and ``restart_tail_entries``
  the entries each replayed after its snapshot (the tail's length depends on where N falls between
  two checkpoints, not on N);
- ``digest_ms``: ``GET /v1/state/digest``'s work after a new entry (the digest is cached per size);
- ``anchor_over_raw_verify``: anchoring time per reading over raw PyNaCl verification of the same
  messages (one core, no decoding), the baseline measured in the same run (the mean of one batch
  verified at the start, the middle and the end, ``raw_verify_spread`` its max over min), with two
  batches in flight as two gateways keep them: the next batch is handed to ``Ledger.prepare`` (as
  the HTTP API does when a request arrives) before the current one is submitted, so its
  verification overlaps the current one's database write; ``anchor_over_raw_verify_one_in_flight``
  the same with one batch at a time (each submitted alone, nothing judged ahead).  The batches
  alternate between the two ways in blocks of ``BLOCK``, so both see the same table size and load;
  a block in flight two pays its first batch's verification unoverlapped;
- ``invoice_ms``: applying an invoice over ``--invoice-readings`` readings (default 100,000) of one
  token (the ledger recomputes its evidence and checks it), and ``evidence_read_ms``: reading that
  evidence first, as ``GET /v1/leases/{id}/periods/{p}/evidence`` does for the SDK; the state
  checkpoint that the end of the period makes due is taken before them, ``checkpoint_ms``.

Run: ``python -m bench.ledger_growth [--readings N] [--db URL]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import psutil
from nacl.signing import SigningKey
from sqlalchemy import create_engine, text

from backend.domain.rent import ended_period_evidence
from backend.domain.tokens import token_id
from backend.ledger import Ledger, WithMessages
from backend.storage import Storage, normalise_url
from bench.ledger import Actor, account, key, raw_verify_seconds, submit_all
from chain_client import merkle, message
from chain_client.device import device_id
from chain_client.payload import Reading

T0 = 1_780_000_000
DAY = 86_400
BLOCK = 25  # batches anchored one way before switching to the other
RESTARTS = 3  # restarts timed at N/2 and at N, each in a new process; the median is the figure


def _reading(dev: SigningKey, did: bytes, seq: int, when: int) -> bytes:
    body = Reading(did, 1, seq, when, True, {1: 2100, 6: 1}, run_seconds=seq * 10, cycles=seq)
    return message.sign(body, dev)


class Fleet:
    """Devices bound to tokens, and the batches they send."""

    def __init__(self, ledger: Ledger, actor: Actor, count: int) -> None:
        self.ledger, self.actor = ledger, actor
        self.op, self.maker, self.gateway = key("operator"), key("maker"), key("gateway")
        self.lessee = key("lessee")
        self.devices = [key(f"growth-dev-{i}") for i in range(count)]
        self.ids = [device_id(bytes(d.verify_key)) for d in self.devices]
        self.seq = 0

    def enrol(self) -> None:
        """Certify the parties, mint a token per device and bind it."""
        txs = []
        for k, roles in (
            (self.maker, ["manufacturer"]),
            (self.gateway, ["service"]),
            (self.lessee, ["lessee"]),
        ):
            txs.append(self.actor.tx(k, "register_enterprise", name=account(k)[:8], roles=roles, info={}))
            txs.append(
                self.actor.tx(
                    self.op, "review_enterprise", enterprise=account(k), decision="approve", reason=""
                )
            )
        txs.append(
            self.actor.tx(self.op, "deposit", account=account(self.lessee), amount=10**9, reference="r")
        )
        for i, dev in enumerate(self.devices):
            txs.append(self.mint(f"G-{i}"))
            txs.append(
                self.actor.tx(
                    self.maker, "bind_device", token=self.token(i), public_key=bytes(dev.verify_key)
                )
            )
        submit_all(self.ledger, txs, 500)

    def mint(self, serial: str) -> bytes:
        """A signed mint_token of the maker for ``serial``."""
        terms = {"specs": {}, "price": 1, "salvage_value": 0, "shares": 1, "share_price": 0, "fee_terms": []}
        return self.actor.tx(self.maker, "mint_token", serial=serial, model="M", **terms)

    def token(self, i: int) -> str:
        """The token of device ``i``."""
        return token_id(account(self.maker), f"G-{i}")

    def batches(self, count: int, size: int) -> Iterator[list[bytes]]:
        """``count`` batches of ``size`` readings, one per device in turn."""
        n = len(self.devices)
        for _ in range(count):
            batch = []
            for _ in range(size):
                self.seq += 1
                i = self.seq % n
                turn = self.seq // n + 1
                batch.append(_reading(self.devices[i], self.ids[i], turn, T0 + turn))
            yield batch

    def submission(self, batch: list[bytes]) -> WithMessages:
        """The gateway's signed ``anchor_batch`` with its messages."""
        tx = self.actor.tx(self.gateway, "anchor_batch", root=merkle.root(batch), count=len(batch))
        return WithMessages(tx, batch)

    def anchor(self, batch: list[bytes]) -> float:
        """Anchor one batch; the seconds the ledger took."""
        item = self.submission(batch)
        started = time.perf_counter()
        submit_all(self.ledger, [item], 1)
        return time.perf_counter() - started

    def anchor_block(self, items: list[WithMessages], in_flight: int) -> float:
        """Anchor ``items`` in order with ``in_flight`` (1 or 2) batches in flight; the seconds taken."""
        started = time.perf_counter()
        for i, item in enumerate(items):
            if in_flight == 2 and i + 1 < len(items):
                self.ledger.prepare(items[i + 1])  # the next gateway's batch arrives
            submit_all(self.ledger, [item], 1)
        return time.perf_counter() - started


class Clock:
    """Wall-clock time that the bench can move forward (to let a lease period end)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def _rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


def _disk_bytes(work: Path, db: str | None, schema: str | None = None) -> int:
    if db is not None:
        return _pg_bytes(db, schema)
    path = work / "ledger.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in work.glob("ledger.sqlite3*"))


def _pg_bytes(db: str, schema: str | None) -> int:
    """Bytes of the schema's tables with their indexes and TOAST (PostgreSQL's own count)."""
    engine = create_engine(normalise_url(db))
    query = text(
        "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relkind = 'r'"
    )
    with engine.connect() as conn:
        found = int(conn.execute(query, {"schema": schema}).scalar_one())
    engine.dispose()
    return found


def _open(url: str, schema: str | None, clock: Clock) -> tuple[Ledger, float]:
    started = time.perf_counter()
    ledger = Ledger(Storage(url, schema=schema), key("operator"), clock=clock, verify_workers=2)
    ledger.open()
    return ledger, time.perf_counter() - started


def open_seconds(url: str, schema: str | None) -> float:
    """In a new process: open the ledger, close it; the seconds the open took."""
    ledger, took = _open(url, schema, Clock())
    ledger.close()
    return took


def _restart(url: str, schema: str | None, clock: Clock) -> tuple[Ledger, list[float]]:
    """Time :data:`RESTARTS` opens of the closed ledger, each in a new process; then open it here."""
    # The function by its module's own name, not ``__main__``'s (the bench runs as ``python -m``, or
    # under a profiler): the new process imports it by that name.
    from bench import ledger_growth

    seconds = []
    spawn = multiprocessing.get_context("spawn")
    for _ in range(RESTARTS):
        with ProcessPoolExecutor(1, mp_context=spawn) as fresh:
            seconds.append(round(fresh.submit(ledger_growth.open_seconds, url, schema).result(), 3))
    ledger, _ = _open(url, schema, clock)
    return ledger, seconds


class Anchored:
    """Seconds and batches anchored, by batches in flight (1 or 2)."""

    def __init__(self) -> None:
        self.seconds = {1: 0.0, 2: 0.0}
        self.batches = {1: 0, 2: 0}

    def per_batch(self, in_flight: int) -> float:
        """Mean seconds per batch with ``in_flight`` batches in flight."""
        return self.seconds[in_flight] / self.batches[in_flight]


def _anchor_half(fleet: Fleet, batches: int, size: int, anchored: Anchored) -> None:
    for first in range(0, batches, BLOCK):
        in_flight = 1 + (first // BLOCK) % 2
        items = [fleet.submission(b) for b in fleet.batches(min(BLOCK, batches - first), size)]
        anchored.seconds[in_flight] += fleet.anchor_block(items, in_flight)
        anchored.batches[in_flight] += len(items)


def _digest_ms(ledger: Ledger, actor: Actor) -> float:
    submit_all(ledger, [actor.tx(key("operator"), "add_reviewer", account=account(key("late-reviewer")))], 1)
    started = time.perf_counter()
    ledger.digest()
    return (time.perf_counter() - started) * 1000


def _invoice_ms(
    ledger: Ledger, clock: Clock, fleet: Fleet, readings: int, size: int
) -> tuple[float, float, float]:
    """An invoice over ``readings`` readings of one token (its own device, one lease period): the
    milliseconds to read its evidence (what the SDK asks first), to apply the signed invoice, and
    to take the state checkpoint that falls due before it."""
    actor, maker = fleet.actor, fleet.maker
    dev = key("growth-invoice-dev")
    did, token = device_id(bytes(dev.verify_key)), _token(fleet, "INV")
    bind = actor.tx(maker, "bind_device", token=token, public_key=bytes(dev.verify_key))
    submit_all(ledger, [fleet.mint("INV"), bind], 1)
    start = int(clock())
    terms = {
        "start": start,
        "end": start + DAY,
        "period": DAY,
        "fixed_rent": 1,
        "usage_rate": 1,
        "deposit": 0,
        "grace": 0,
        "fees": [],
        "expires": start + DAY,
    }
    submit_all(
        ledger, [actor.tx(maker, "offer_lease", token=token, lessee=account(fleet.lessee), **terms)], 1
    )
    lease = next(lid for lid, v in ledger.state.leases.items() if v.token == token)
    submit_all(ledger, [actor.tx(fleet.lessee, "sign_lease", lease=lease)], 1)
    for first in range(1, readings + 2, size):
        seqs = range(first, min(first + size, readings + 2))  # the first reading is the baseline
        fleet.anchor([_reading(dev, did, seq, start + seq % DAY) for seq in seqs])
    clock.offset += DAY + 1
    # The day's move makes a state checkpoint due; it is taken (and timed) on its own first, so
    # that the invoice's append is the invoice's work alone.
    started = time.perf_counter()
    ledger.checkpoint()
    checkpoint = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    ev = ended_period_evidence(ledger.readings, ledger.state.leases[lease], 0, ledger.now(), ledger.size)
    read = (time.perf_counter() - started) * 1000
    bill = {"usage_seconds": ev.usage_seconds, "evidence": ev.digest}
    started = time.perf_counter()
    submit_all(ledger, [actor.tx(maker, "issue_invoice", lease=lease, period=0, **bill)], 1)
    applied = (time.perf_counter() - started) * 1000
    if ev.count != readings:
        raise RuntimeError(f"the invoice rests on {ev.count} readings, expected {readings}")
    return read, applied, checkpoint


def _token(fleet: Fleet, serial: str) -> str:
    return token_id(account(fleet.maker), serial)


def run(options: argparse.Namespace) -> dict[str, Any]:
    """The whole measurement; the database it wrote is removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix="leasechain-growth-"))
    schema = f"growth_{os.getpid()}" if options.db else None
    try:
        return _measure(options, work, schema)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if options.db and schema:
            _drop_schema(options.db, schema)


def _drop_schema(db: str, schema: str) -> None:
    engine = create_engine(normalise_url(db))
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def _measure(options: argparse.Namespace, work: Path, schema: str | None) -> dict[str, Any]:
    url = options.db or f"sqlite:///{work / 'ledger.sqlite3'}"
    clock = Clock()
    ledger, _ = _open(url, schema, clock)
    ledger.begin("growth", "EUR")
    actor = Actor(key("operator"))
    fleet = Fleet(ledger, actor, options.devices)
    fleet.enrol()
    half = options.readings // options.batch // 2
    sample = next(fleet.batches(1, options.batch))
    # The baseline is measured at the start, the middle and the end of the anchoring: on a shared
    # machine the load changes over a run of minutes, and both sides should see the same.
    raws = [raw_verify_seconds_many(sample, fleet)]
    out: dict[str, Any] = {"readings": options.readings, "devices": options.devices, "batch": options.batch}
    anchored = Anchored()
    anchored.seconds[1], anchored.batches[1] = fleet.anchor(sample), 1
    _anchor_half(fleet, half - 1, options.batch, anchored)
    raws.append(raw_verify_seconds_many(sample, fleet))
    rss_half = _rss_mb()
    disk_half = _disk_bytes(work, options.db, schema)
    ledger.close()
    ledger, out["restart_seconds_half_runs"] = _restart(url, schema, clock)
    out["restart_seconds_half"] = statistics.median(out["restart_seconds_half_runs"])
    out["restart_tail_entries_half"] = ledger.size - ledger.started_from
    fleet.ledger = ledger
    _anchor_half(fleet, half, options.batch, anchored)
    raws.append(raw_verify_seconds_many(sample, fleet))
    raw = sum(raws) / len(raws)
    out["rss_mb_per_million_readings"] = round((_rss_mb() - rss_half) / (half * options.batch) * 1e6, 1)
    disk = _disk_bytes(work, options.db, schema)
    out["disk_bytes_per_reading"] = round(disk / (2 * half * options.batch)) if disk else None
    out["disk_bytes_per_reading_second_half"] = (
        round((disk - disk_half) / (half * options.batch)) if disk else None
    )
    ledger.close()
    ledger, out["restart_seconds_runs"] = _restart(url, schema, clock)
    out["restart_seconds"] = statistics.median(out["restart_seconds_runs"])
    fleet.ledger = ledger
    out["restart_started_from"] = ledger.started_from
    out["restart_tail_entries"] = ledger.size - ledger.started_from
    out["digest_ms"] = round(_digest_ms(ledger, actor), 2)
    out["anchor_over_raw_verify"] = round(anchored.per_batch(2) / raw, 3)
    out["anchor_over_raw_verify_one_in_flight"] = round(anchored.per_batch(1) / raw, 3)
    out["raw_verify_per_second"] = round(options.batch / raw)
    out["raw_verify_spread"] = round(max(raws) / min(raws), 2)
    out["anchor_per_second"] = round(options.batch / anchored.per_batch(2))
    out["anchor_per_second_one_in_flight"] = round(options.batch / anchored.per_batch(1))
    read, applied, checkpoint = _invoice_ms(ledger, clock, fleet, options.invoice_readings, options.batch)
    out["evidence_read_ms"], out["invoice_ms"] = round(read, 1), round(applied, 1)
    out["checkpoint_ms"] = round(checkpoint, 1)
    ledger.close()
    return out


def raw_verify_seconds_many(batch: list[bytes], fleet: Fleet) -> float:
    """Raw PyNaCl verification of one batch of many devices' messages (one core, no decoding)."""
    by_device: dict[bytes, list[bytes]] = {}
    for raw in batch:
        by_device.setdefault(message.decode(raw).body.device_id, []).append(raw)
    keys = dict(zip(fleet.ids, fleet.devices, strict=True))
    return sum(raw_verify_seconds(msgs, keys[did]) for did, msgs in by_device.items())


def main() -> None:
    """Command-line entry: print the JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=2_000_000)
    parser.add_argument("--devices", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--invoice-readings", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="a PostgreSQL URL instead of SQLite")
    options = parser.parse_args()
    least = 2 * (BLOCK + 2) * options.batch  # each half anchors a block each way
    if options.readings < least:
        parser.error(f"--readings {options.readings}: at least {least} with --batch {options.batch}")
    print(json.dumps(run(options)))


if __name__ == "__main__":
    main()
