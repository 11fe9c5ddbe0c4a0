"""Gateway throughput with the broker in the loop, against raw PyNaCl verification in the same run.

Prints JSON:

- ``raw_pynacl_verify_per_s``: libsodium Ed25519 verification of the same
  messages' Sig_structures, one thread (the single-core baseline), and
  ``signature_checks``: whether the gateway checks them batched (its C
  helper, chain_client/signatures.py) or one per PyNaCl call;
- ``sustained_per_s``: readings verified and committed per second by one
  gateway process while a publisher floods a real Mosquitto (measured between
  10% and 90% of the messages being stored), and its ``ratio_to_raw``;
- ``latency_ms``: p50/p99 from publish to commit at half that rate;
- ``gateway_cpu_ms_per_1000``: CPU time (all threads) the gateway spent per
  1,000 readings of the flood, beside ``raw_verify_cpu_ms_per_1000``;
- ``peak_rss_mb``: the gateway's peak resident memory with ``--devices``
  enrolled devices;
- ``workers``: the same flood split over N gateway processes with an MQTT 5
  shared subscription.

The publisher speaks MQTT 3.1.1 over a raw socket with pre-encoded packets,
so that it takes as little of the machine's CPU from the gateway as possible.

Usage: ``python -m bench.gateway_throughput [--messages N] [--devices N] [--workers 1,2]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from nacl.signing import SigningKey, VerifyKey

from chain_client import signatures, topics
from chain_client.device import device_id
from chain_client.message import decode, digest, sign
from chain_client.mqtt_codec import encode_varint
from chain_client.payload import GENESIS_PREV, Reading
from harness.mosquitto import Mosquitto
from harness.ports import wait_for_port

NOW = int(time.time())


def _text(s: str) -> bytes:
    data = s.encode()
    return len(data).to_bytes(2, "big") + data


def _publish_packet(topic: str, payload: bytes, packet_id: int) -> bytes:
    body = _text(topic) + packet_id.to_bytes(2, "big") + payload
    return b"\x32" + encode_varint(len(body)) + body


class RawPublisher:
    """QoS 1 publisher over a plain socket; a reader thread counts PUBACKs."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        variable = _text("MQTT") + bytes([4, 0x02]) + (60).to_bytes(2, "big")
        body = variable + _text("bench-publisher")
        self.sock.sendall(b"\x10" + encode_varint(len(body)) + body)
        connack = self.sock.recv(4)
        assert connack[:2] == b"\x20\x02", connack
        assert connack[3] == 0, f"broker refused the publisher: {connack!r}"
        self.acked = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            whole = len(buffer) // 4
            self.acked += whole  # only PUBACKs (4 bytes each) come back after CONNACK
            buffer = buffer[whole * 4 :]

    def send(self, packets: list[bytes]) -> None:
        """Send pre-encoded packets, keeping at most 20000 unacknowledged."""
        sent = self.acked
        for i in range(0, len(packets), 200):
            while sent + i - self.acked > 20000:
                time.sleep(0.001)
            self.sock.sendall(b"".join(packets[i : i + 200]))

    def close(self) -> None:
        """Disconnect."""
        self.sock.sendall(b"\xe0\x00")
        self.sock.close()


def _messages(keys: list[SigningKey], count: int, boot: int) -> list[tuple[str, bytes]]:
    """``count`` readings spread over ``keys``, each device with a correct hash chain."""
    out: list[tuple[str, bytes]] = []
    prev = {i: GENESIS_PREV for i in range(len(keys))}
    ids = [device_id(bytes(k.verify_key)) for k in keys]
    for n in range(count):
        i = n % len(keys)
        seq = n // len(keys)
        raw = sign(
            Reading(
                device_id=ids[i],
                boot=boot,
                seq=seq,
                time=NOW,
                time_synced=True,
                readings={1: 2150 + seq % 7, 2: 4500, 3: 101_325, 4: 3200, 5: 4100, 6: 1},
                run_seconds=seq * 10,
                cycles=seq,
                prev=prev[i],
            ),
            keys[i],
        )
        prev[i] = digest(raw)
        out.append((topics.topic(ids[i], "data"), raw))
    return out


def _raw_verify_rate(messages: list[tuple[str, bytes]], keys: dict[bytes, VerifyKey]) -> float:
    pairs = []
    for _topic, raw in messages:
        envelope = decode(raw).envelope
        pairs.append((keys[envelope.kid], envelope.to_be_signed(), envelope.signature))
    start = time.perf_counter()
    for key, tbs, sig in pairs:
        key.verify(tbs, sig)
    return len(pairs) / (time.perf_counter() - start)


class Gateway:
    """One gateway process for the bench."""

    def __init__(
        self,
        workdir: Path,
        broker: Mosquitto,
        registry: Path,
        name: str,
        share: str | None,
        verify_threads: int,
    ) -> None:
        self.state = workdir / name
        self.state.mkdir(parents=True)
        config = self.state / "gateway.toml"
        share_line = f'share_group = "{share}"' if share else ""
        config.write_text(
            f"""
[gateway]
id = "{name}"
state_directory = "{self.state}"
[mqtt]
port = {broker.port}
client_id = "bench-{name}"
{share_line}
[registry]
file = "{registry}"
[metrics]
port = 0
[ingest]
verify_threads = {verify_threads}
[log]
level = "WARNING"
"""
        )
        notify_path = self.state / "notify.sock"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(notify_path))
        self.notify.settimeout(60)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "run", "--config", str(config)],
            env=dict(os.environ, NOTIFY_SOCKET=str(notify_path)),
            stderr=(self.state / "gateway.log").open("wb"),
        )
        while b"READY=1" not in self.notify.recv(4096):
            pass

    def stored(self) -> int:
        """Readings committed so far (0 while the store is being created)."""
        path = self.state / "gateway.sqlite3"
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                row = db.execute("SELECT value FROM counters WHERE name = 'stored'").fetchone()
            finally:
                db.close()
        except sqlite3.Error:
            return 0
        return int(row[0]) if row else 0

    def stored_times(self) -> dict[bytes, float]:
        """Commit time of every stored reading, by its bytes."""
        db = sqlite3.connect(f"file:{self.state / 'gateway.sqlite3'}?mode=ro", uri=True)
        try:
            return {bytes(raw): float(at) for raw, at in db.execute("SELECT raw, stored_at FROM readings")}
        finally:
            db.close()

    def peak_rss_mb(self) -> float:
        """VmHWM of the process."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        """User plus system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM and wait."""
        self.process.terminate()
        self.process.wait(timeout=60)
        self.notify.close()


def _wait_stored(gateways: list[Gateway], total: int, timeout: float) -> list[tuple[float, int]]:
    """Poll until ``total`` readings are stored; return (time, count) samples."""
    samples: list[tuple[float, int]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = sum(g.stored() for g in gateways)
        samples.append((time.perf_counter(), count))
        if count >= total:
            return samples
        time.sleep(0.05)
    raise TimeoutError(f"only {samples[-1][1]} of {total} readings stored after {timeout} s")


def _rate_between(samples: list[tuple[float, int]], total: int) -> float:
    """Readings per second between 10% and 90% of ``total``."""
    lo = next(s for s in samples if s[1] >= total * 0.1)
    hi = next(s for s in samples if s[1] >= total * 0.9)
    return (hi[1] - lo[1]) / (hi[0] - lo[0])


def _warm_up(publisher: RawPublisher, gateways: list[Gateway], probes: list[tuple[str, bytes]]) -> None:
    """Make sure every gateway is subscribed and has stored something before measuring."""
    publisher.send([_publish_packet(t, p, i + 1) for i, (t, p) in enumerate(probes)])
    _wait_stored(gateways, len(probes), 60)


def run_flood(
    workdir: Path,
    broker: Mosquitto,
    registry: Path,
    messages: list[tuple[str, bytes]],
    workers: int,
    probes: list[tuple[str, bytes]],
    verify_threads: int,
) -> tuple[float, float, float]:
    """Flood ``messages``; return (sustained rate, peak RSS in MB, gateway CPU seconds per 1,000 readings)."""
    share = "bench" if workers > 1 else None
    gateways = [
        Gateway(workdir, broker, registry, f"w{workers}-{i}", share, verify_threads) for i in range(workers)
    ]
    publisher = RawPublisher(broker.host, broker.port)
    try:
        _warm_up(publisher, gateways, probes)
        packets = [_publish_packet(t, p, (i % 65535) + 1) for i, (t, p) in enumerate(messages)]
        base = len(probes)
        cpu_before = sum(g.cpu_seconds() for g in gateways)
        sender = threading.Thread(target=publisher.send, args=(packets,))
        sender.start()
        samples = _wait_stored(gateways, base + len(messages), 600)
        sender.join()
        rate = _rate_between([(t, c - base) for t, c in samples], len(messages))
        cpu = sum(g.cpu_seconds() for g in gateways) - cpu_before
        return rate, max(g.peak_rss_mb() for g in gateways), cpu * 1000 / len(messages)
    finally:
        publisher.close()
        for g in gateways:
            g.stop()


def run_latency(
    workdir: Path,
    broker: Mosquitto,
    registry: Path,
    messages: list[tuple[str, bytes]],
    rate: float,
    probes: list[tuple[str, bytes]],
    verify_threads: int,
) -> dict[str, float]:
    """Publish at ``rate`` per second; return publish-to-commit latency percentiles in ms."""
    gateway = Gateway(workdir, broker, registry, "latency", None, verify_threads)
    publisher = RawPublisher(broker.host, broker.port)
    sent_at: dict[bytes, float] = {}
    try:
        _warm_up(publisher, [gateway], probes)
        tick = 0.01
        per_tick = max(1, round(rate * tick))
        start = time.time()
        for n, i in enumerate(range(0, len(messages), per_tick)):
            chunk = messages[i : i + per_tick]
            target = start + n * tick
            delay = target - time.time()
            if delay > 0:
                time.sleep(delay)
            now = time.time()
            publisher.send([_publish_packet(t, p, ((i + k) % 65535) + 1) for k, (t, p) in enumerate(chunk)])
            for _t, p in chunk:
                sent_at[p] = now
        _wait_stored([gateway], len(probes) + len(messages), 120)
        stored = gateway.stored_times()
    finally:
        publisher.close()
        gateway.stop()
    latencies = sorted((stored[p] - at) * 1000 for p, at in sent_at.items())
    return {
        "offered_per_s": round(rate),
        "p50": round(statistics.median(latencies), 1),
        "p99": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "max": round(latencies[-1], 1),
    }


def main() -> None:
    """Run the benchmark and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20000, help="readings per flood")
    parser.add_argument("--devices", type=int, default=10000, help="devices enrolled in the registry")
    parser.add_argument("--workers", default="1,2", help="worker counts for the shared-subscription runs")
    parser.add_argument("--latency-seconds", type=float, default=5.0, help="length of the half-load run")
    parser.add_argument("--verify-threads", type=int, default=2, help="ingest.verify_threads of the gateways")
    args = parser.parse_args()

    keys = [SigningKey(i.to_bytes(4, "big") * 8) for i in range(1, args.devices + 1)]
    verify_keys = {device_id(bytes(k.verify_key)): k.verify_key for k in keys}
    workdir = Path(tempfile.mkdtemp(prefix="leasechain-bench-"))
    workdir.chmod(0o777)  # the broker drops to the 'mosquitto' user
    registry = workdir / "registry.json"
    registry.write_text(json.dumps({"devices": [{"public_key": bytes(k.verify_key).hex()} for k in keys]}))
    flood = _messages(keys, args.messages, boot=1)
    raw_rate = _raw_verify_rate(flood, verify_keys)

    broker = Mosquitto(workdir / "broker")
    broker.workdir.chmod(0o777)
    broker.start()
    wait_for_port(broker.host, broker.port)
    result: dict[str, object] = {
        "messages": args.messages,
        "devices": args.devices,
        "message_bytes": len(flood[0][1]),
        "cpus": os.cpu_count(),
        "raw_pynacl_verify_per_s": round(raw_rate),
        "signature_checks": "batched" if signatures.BATCHED else "one per call",
    }
    try:
        boot = 2
        scaling: dict[str, float] = {}
        for workers in [int(w) for w in args.workers.split(",")]:
            boot += 1
            messages = flood if boot == 3 else _messages(keys, args.messages, boot=boot)
            probes = _messages(keys[: workers * 4], workers * 4, boot=1000 + boot)
            rate, rss, cpu = run_flood(
                workdir, broker, registry, messages, workers, probes, args.verify_threads
            )
            scaling[str(workers)] = round(rate)
            if workers == 1:
                result["sustained_per_s"] = round(rate)
                result["ratio_to_raw"] = round(rate / raw_rate, 3)
                result["peak_rss_mb"] = round(rss, 1)
                # CPU per reading is steadier than a rate on a shared machine.
                result["gateway_cpu_ms_per_1000"] = round(cpu * 1000, 1)
                result["raw_verify_cpu_ms_per_1000"] = round(1e6 / raw_rate, 1)
        result["workers_sustained_per_s"] = scaling
        one = scaling.get("1") or next(iter(scaling.values()))
        half = one / 2
        count = int(half * args.latency_seconds)
        latency_messages = _messages(keys, count, boot=99)
        result["latency_ms"] = run_latency(
            workdir,
            broker,
            registry,
            latency_messages,
            half,
            _messages(keys[:4], 4, boot=2000),
            args.verify_threads,
        )
    finally:
        broker.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
