"""How a batch's reading rows are written to PostgreSQL: ``COPY`` against ``executemany``; prints JSON.

The ledger writes each anchored batch's rows in one transaction (``Storage.write``).  This bench
writes ``--batches`` batches of ``--batch`` rows in the readings table's stored form both ways, in
the same run and into the same table, alternating blocks of ten batches so both see the same table
size, and reports per batch: wall milliseconds, this process's CPU milliseconds and the server
backend's CPU milliseconds (from ``/proc``, the server runs on this machine).  On a two-core machine
the CPU of both sides is taken from verifying the next batch, hence the CPU figures.

Run: ``python -m bench.pg_copy [--db URL] [--batches 200] [--batch 1000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, text

from backend.reading_rows import encode
from backend.storage import Storage, readings_table

BLOCK = 10
WAYS = ("copy", "executemany")


def _server_cpu_seconds(conn: Connection) -> float:
    """CPU seconds the server process of ``conn`` has used (user + system)."""
    pid = conn.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rows(batch: int, size: int) -> list[dict[str, Any]]:
    """One batch's rows as the ledger hands them to storage: a verified reading of a bound device each."""
    message = os.urandom(170)
    return [
        {
            "batch": batch,
            "position": p,
            "device": os.urandom(16).hex(),
            "token": f"tok-{p:016x}",
            "stamp": 1_780_000_000 + batch,
            "status": "verified",
            "reason": "",
            "increment": 10,
            "message": message,
        }
        for p in range(size)
    ]


Write = Callable[[Connection, list[dict[str, Any]]], dict[str, int]]  # the token keys it gave


def _ways(storage: Storage, schema: str) -> dict[str, Write]:
    """The ledger's own write (``COPY``), and the same rows by ``executemany`` as the baseline."""
    names = ", ".join(c.name for c in readings_table.columns)
    marks = ", ".join(["%s"] * len(readings_table.columns))
    sql = f'INSERT INTO "{schema}"."readings" ({names}) VALUES ({marks})'

    def copy(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
        return storage.write_readings(conn, rows, storage.tokens)

    def executemany(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
        keys, new = storage.tokens.assign(conn, {r["token"] for r in rows})
        conn.exec_driver_sql(sql, [encode(r, keys) for r in rows])
        return new

    return {"copy": copy, "executemany": executemany}


def measure(storage: Storage, schema: str, batches: int, size: int) -> dict[str, Any]:
    """Per-batch wall, client CPU and server CPU milliseconds of each way."""
    ways = _ways(storage, schema)
    totals = {w: [0.0, 0.0, 0.0] for w in WAYS}
    with storage.engine.connect() as conn:
        for block in range(0, 2 * batches, BLOCK):
            way = WAYS[(block // BLOCK) % 2]
            for batch in range(block, min(block + BLOCK, 2 * batches)):
                rows = _rows(batch, size)
                server, client, wall = _server_cpu_seconds(conn), time.process_time(), time.perf_counter()
                with conn.begin():
                    new = ways[way](conn, rows)
                storage.tokens.remember(new)  # as the ledger does: once the transaction committed
                spent = totals[way]
                spent[0] += time.perf_counter() - wall
                spent[1] += time.process_time() - client
                spent[2] += _server_cpu_seconds(conn) - server
    out: dict[str, Any] = {"batches_each_way": batches, "batch": size}
    for way, (wall, client, server) in totals.items():
        out[way] = {
            "wall_ms": round(wall / batches * 1000, 2),
            "client_cpu_ms": round(client / batches * 1000, 2),
            "server_cpu_ms": round(server / batches * 1000, 2),
        }
    cpu = {w: out[w]["client_cpu_ms"] + out[w]["server_cpu_ms"] for w in WAYS}
    out["cpu_copy_over_executemany"] = round(cpu["copy"] / cpu["executemany"], 3)
    return out


def main() -> None:
    """Command-line entry: print the JSON object; the schema it wrote is dropped afterwards."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--batches", type=int, default=200, help="batches written each way")
    parser.add_argument("--batch", type=int, default=1_000)
    options = parser.parse_args()
    schema = f"pgcopy_{uuid.uuid4().hex[:12]}"
    storage = Storage(options.db, schema=schema)
    try:
        storage.create()
        print(json.dumps(measure(storage, schema, options.batches, options.batch)))
    finally:
        with storage.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        storage.close()


if __name__ == "__main__":
    main()
