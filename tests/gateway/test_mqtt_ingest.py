"""End to end through a real Mosquitto: signed readings in, verified rows in the store, hostile input out."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from gateway.quarantine import QUARANTINE_PREFIX_BYTES
from harness.mosquitto import Mosquitto
from tests.gateway.helpers import (
    NOW,
    GatewayProcess,
    Publisher,
    Sensor,
    basic_config,
    counter,
    quarantine_reasons,
    quarantine_rows,
    store_stats,
    stored_raws,
    wait_until,
    write_registry,
)

pytestmark = pytest.mark.mosquitto


def test_readings_are_verified_stored_and_batched(mosquitto: Mosquitto, tmp_path: Path) -> None:
    sensors = [Sensor.make(i) for i in range(1, 4)]
    config = basic_config(
        tmp_path, write_registry(tmp_path / "registry.json", sensors), broker_port=mosquitto.port
    )
    gateway = GatewayProcess(config, tmp_path)
    gateway.start()
    publisher = Publisher(mosquitto.host, mosquitto.port)
    try:
        items = [(s.topic, s.reading()) for _ in range(40) for s in sensors]
        publisher.publish_all(items)
        state = tmp_path / "state"
        wait_until(lambda: len(stored_raws(state)) == 120, what="120 stored readings")
        assert sorted(stored_raws(state)) == sorted(raw for _t, raw in items)
        # Batches of at most 50 readings are sealed (no backend: they wait as pending).
        wait_until(lambda: getattr(store_stats(state), "unbatched", 1) == 0, what="every reading batched")
        stats = store_stats(state)
        assert stats is not None
        assert stats.pending_readings == 120
        assert stats.pending_batches == 3
    finally:
        publisher.close()
        assert gateway.terminate() == 0


def _forge(victim: Sensor, attacker: Sensor) -> bytes:
    """A reading in the victim's name, signed with the attacker's key."""
    from chain_client import cbor, cose
    from chain_client.payload import Reading

    body = Reading(
        device_id=victim.id, boot=victim.boot, seq=victim.seq, time=NOW, time_synced=True, prev=victim.prev
    )
    protected = cose.protected_header(victim.id)
    payload = cbor.dumps(body.to_map())
    signature = attacker.key.sign(cose.sig_structure(protected, payload)).signature
    return cose.assemble(protected, payload, signature)


def test_hostile_payloads_are_quarantined_and_good_traffic_flows(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    good = [Sensor.make(i) for i in range(10, 13)]
    revoked = Sensor.make(20)
    stranger = Sensor.make(21)
    registry = write_registry(tmp_path / "registry.json", good, revoked=(revoked,))
    config = basic_config(tmp_path, registry, broker_port=mosquitto.port)
    gateway = GatewayProcess(config, tmp_path)
    gateway.start()
    publisher = Publisher(mosquitto.host, mosquitto.port)
    rng = random.Random(5)
    victim = good[0]
    expected_good: list[bytes] = []
    hostile: list[tuple[str, bytes, str]] = []
    try:
        for round_ in range(5):
            for sensor in good:
                raw = sensor.reading()
                expected_good.append(raw)
                hostile_items = [(sensor.topic, raw)]
                publisher.publish_all(hostile_items)
            valid = victim.sent[-1]
            other = Sensor(victim.key, seq=100 + round_)  # hostile copies never touch the real chain
            tampered = valid[:-1] + bytes([valid[-1] ^ 1])
            hostile += [
                (victim.topic, _forge(victim, stranger), "bad_signature"),
                (victim.topic, tampered, "bad_signature"),
                (victim.topic, valid[: len(valid) // 2], "bad_cbor"),
                (victim.topic, valid + b"\x00" * 1024, "oversize"),
                (victim.topic, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))), "*"),
                (victim.topic, b"", "bad_cbor"),
                (stranger.topic, stranger.reading(seq=round_), "unknown_device"),
                (revoked.topic, revoked.reading(seq=round_), "revoked_device"),
                (good[1].topic, other.reading(seq=100 + round_), "topic_mismatch"),
                (victim.topic, other.reading(seq=200 + round_, time=NOW + 3600), "clock_skew"),
                # Same (device, boot, seq) as a stored reading, other bytes: a replay.
                (victim.topic, other.reading(seq=round_, readings={1: 1}), "replay"),
                # The identical bytes again: a duplicate, acknowledged and not stored twice.
                (victim.topic, valid, "duplicate"),
            ]
            publisher.publish_all([(t, p) for t, p, _r in hostile[-12:]])
        state = tmp_path / "state"
        expected_rejections = [r for _t, _p, r in hostile if r != "duplicate"]
        wait_until(lambda: len(quarantine_reasons(state)) == len(expected_rejections), what="quarantine rows")
        wait_until(lambda: len(stored_raws(state)) == len(expected_good), what="good readings")
        assert sorted(stored_raws(state)) == sorted(expected_good)
        reasons = quarantine_reasons(state)
        for got, want in zip(reasons, expected_rejections, strict=True):
            if want == "*":
                assert got in {"wrong_tag", "bad_cbor", "oversize"}
            else:
                assert got == want
        stats = store_stats(state)
        assert stats is not None
        assert stats.counters["duplicate"] == 5
        # The metrics endpoint counts the same verdicts.
        port = _metrics_port(gateway)
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        assert 'leasechain_gateway_rejected_total{reason="replay"} 5.0' in text
        assert 'leasechain_gateway_rejected_total{reason="bad_signature"} 10.0' in text
        assert "leasechain_gateway_duplicates_total 5.0" in text
        assert f"leasechain_gateway_verified_total {float(len(expected_good))}" in text
        assert "leasechain_gateway_build_info" in text
        # `status` reads the same store while the service runs.
        out = subprocess.run(
            [sys.executable, "-m", "gateway", "status", "--json", "--config", str(config)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        summary = json.loads(out)
        assert summary["rejected"]["replay"] == 5
        assert summary["duplicates"] == 5
        assert summary["stored"] == len(expected_good)
    finally:
        publisher.close()
        assert gateway.terminate() == 0


def _metrics_port(gateway: GatewayProcess) -> int:
    for line in gateway.log.read_text().splitlines():
        if "metrics on http://" in line:
            return int(line.rsplit(":", 1)[1].split("/")[0])
    raise AssertionError("the gateway did not log its metrics address")


def _store_file_bytes(state: Path) -> int:
    """The store's size on disk: the database and its write-ahead log."""
    return sum(p.stat().st_size for p in state.glob("gateway.sqlite3*"))


# The database and its WAL together: the write-ahead log alone may reach SQLite's automatic
# checkpoint (1000 pages of 4 KiB) before it is reused; the rows (101 readings, 60 quarantine
# rows of at most 4 KiB) add a few hundred KiB.  Stored whole, the attack added about 165 MB.
ATTACK_GROWTH_BOUND = 5_000_000


def test_oversize_flood_does_not_amplify_into_the_store(mosquitto: Mosquitto, tmp_path: Path) -> None:
    sensors = [Sensor.make(i) for i in range(30, 33)]
    registry = write_registry(tmp_path / "registry.json", sensors)
    config = basic_config(
        tmp_path, registry, broker_port=mosquitto.port, extra="\n[store]\nquarantine_max_rows = 60\n"
    )
    gateway = GatewayProcess(config, tmp_path)
    gateway.start()
    state = tmp_path / "state"
    publisher = Publisher(mosquitto.host, mosquitto.port)
    rng = random.Random(9)
    big = [rng.randbytes(1 << 20) for _ in range(100)] + [rng.randbytes(30_000_000)]
    good: list[bytes] = []
    try:
        wait_until(lambda: (state / "gateway.sqlite3").exists(), what="the store")
        before = _store_file_bytes(state)
        items: list[tuple[str, bytes]] = []
        for number, payload in enumerate(big):
            sensor = sensors[number % 3]
            raw = sensor.reading()
            good.append(raw)
            items += [(sensor.topic, raw), (sensor.topic, payload)]
        publisher.publish_all(items, timeout=120)
        wait_until(lambda: len(stored_raws(state)) == len(good), timeout=120, what="every good reading")
        wait_until(lambda: counter(state, "rejected:oversize") == len(big), timeout=120, what="oversize")
        growth = _store_file_bytes(state) - before
        print(f"store grew by {growth} bytes under the attack")
        assert growth < ATTACK_GROWTH_BOUND
        assert sorted(stored_raws(state)) == sorted(good)  # nothing good lost, nothing evicted for room
        rows = quarantine_rows(state)
        assert len(rows) == 60  # the cap: the 41 oldest were evicted
        assert counter(state, "quarantine_evicted") == len(big) - 60
        kept = big[-60:]
        for (reason, size, sha256, head), payload in zip(rows, kept, strict=True):
            assert reason == "oversize"
            assert size == len(payload)
            assert sha256 == hashlib.sha256(payload).digest()
            assert head == payload[:QUARANTINE_PREFIX_BYTES]
    finally:
        publisher.close()
        assert gateway.terminate() == 0
