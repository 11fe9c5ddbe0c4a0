"""Anchoring against the real ledger backend: batches land once, through a backend outage."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_client import merkle
from gateway.anchoring import backoff_delay
from gateway.store import Batch, Received, Store
from gateway.submitter import HttpSubmitter
from gateway.verifier import Accepted
from harness.mosquitto import Mosquitto
from harness.ports import free_port
from tests.gateway.helpers import GatewayProcess, Publisher, Sensor, stored_raws, wait_until, write_config
from tests.gateway.ledger_backend import LedgerBackend, seeded


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[LedgerBackend]:
    ledger = LedgerBackend(tmp_path / "ledger")
    ledger.start()
    try:
        yield ledger
    finally:
        ledger.kill()


def _site(backend: LedgerBackend, sensors: list[Sensor]) -> None:
    gateway_key = seeded("gateway")
    maker = seeded("maker")
    backend.certify(gateway_key, "Site gateway service", "service")
    backend.certify(maker, "Maker", "manufacturer")
    for i, sensor in enumerate(sensors):
        backend.enroll(maker, f"SN-{i}", bytes(sensor.key.verify_key))


def _batch_states(state: Path) -> dict[str, tuple[str, int]]:
    db = sqlite3.connect(f"file:{state / 'gateway.sqlite3'}?mode=ro", uri=True)
    try:
        return {row[0]: (row[1], row[2]) for row in db.execute("SELECT id, state, attempts FROM batches")}
    finally:
        db.close()


def test_backoff_has_full_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(attempt, 1.0, 30.0, rng) for attempt in range(12) for _ in range(50)]
    assert all(0 <= d <= 30.0 for d in delays)
    early = [backoff_delay(1, 1.0, 30.0, rng) for _ in range(200)]
    assert max(early) <= 2.0
    assert len({round(d, 6) for d in early}) > 150  # jittered, not a fixed schedule
    late = [backoff_delay(20, 1.0, 30.0, rng) for _ in range(200)]
    assert max(late) > 25.0


def test_a_retried_batch_is_anchored_once(backend: LedgerBackend, tmp_path: Path) -> None:
    sensors = [Sensor.make(300)]
    _site(backend, sensors)
    store = Store(tmp_path / "s.sqlite3")
    from chain_client.message import decode

    raws = [sensors[0].reading() for _ in range(10)]
    store.record([(Received(r, None, "t", time.time()), Accepted(decode(r))) for r in raws])
    batch = store.seal_batch("gw", 100, 0.0, time.time(), force=True)
    assert isinstance(batch, Batch)
    submitter = HttpSubmitter(backend.url, seeded("gateway"))
    first = submitter.submit(batch, store.batch_leaves(batch.id))
    again = submitter.submit(batch, store.batch_leaves(batch.id))
    assert '"status": "accepted"' in first
    assert '"status": "duplicate"' in again
    assert backend.anchor_ids(seeded("gateway")) == [batch.id]
    assert sorted(backend.verified_messages()) == sorted(raws)
    assert batch.root == merkle.root(raws)


@pytest.mark.mosquitto
@pytest.mark.slow
def test_backend_outage_every_batch_lands_exactly_once(
    backend: LedgerBackend, mosquitto: Mosquitto, tmp_path: Path
) -> None:
    sensors = [Sensor.make(400 + i) for i in range(4)]
    _site(backend, sensors)
    key_file = tmp_path / "gateway.key"
    key_file.write_text(bytes(seeded("gateway")).hex())
    config = write_config(
        tmp_path,
        f"""
[gateway]
id = "anchor-gw"
state_directory = "{tmp_path / "state"}"
[mqtt]
port = {mosquitto.port}
reconnect_min_seconds = 1
reconnect_max_seconds = 2
[backend]
url = "{backend.url}"
key = {{ file = "{key_file}" }}
timeout_seconds = 5
backoff_initial_seconds = 0.2
backoff_max_seconds = 1.0
[registry]
sync_interval_seconds = 5
[batch]
max_readings = 25
max_age_seconds = 0.5
[metrics]
enabled = false
""",
    )
    state = tmp_path / "state"
    gateway = GatewayProcess(config, tmp_path)
    gateway.start()
    publisher = Publisher(mosquitto.host, mosquitto.port)
    try:
        before = [(s.topic, s.reading()) for _ in range(25) for s in sensors]
        publisher.publish_all(before)
        wait_until(
            lambda: len(backend.verified_messages()) == 100, timeout=60, what="first readings anchored"
        )

        backend.kill()
        during = [(s.topic, s.reading()) for _ in range(25) for s in sensors]
        publisher.publish_all(during)
        wait_until(lambda: len(stored_raws(state)) == 200, what="readings stored while the backend is down")
        # The gateway keeps trying: at least one batch has failed attempts and waits.
        wait_until(
            lambda: any(st == "pending" and n > 0 for st, n in _batch_states(state).values()),
            what="a failed submission",
        )
        backend.start()
        wait_until(
            lambda: (
                bool(_batch_states(state))
                and all(st == "anchored" for st, _n in _batch_states(state).values())
            ),
            timeout=60,
            what="every batch anchored",
        )
        ids = backend.anchor_ids(seeded("gateway"))
        assert sorted(ids) == sorted(_batch_states(state))
        assert len(ids) == len(set(ids))  # each batch exactly once on the ledger
        verified = backend.verified_messages()
        assert len(verified) == 200
        assert set(verified) == {raw for _t, raw in before + during}
    finally:
        publisher.close()
        gateway.kill()


def test_refusals_are_told_apart(backend: LedgerBackend, tmp_path: Path) -> None:
    from chain_client.message import decode
    from gateway.errors import SubmitError

    sensor = Sensor.make(500)
    store = Store(tmp_path / "s.sqlite3")
    raws = [sensor.reading() for _ in range(3)]
    store.record([(Received(r, None, "t", time.time()), Accepted(decode(r))) for r in raws])
    batch = store.seal_batch("gw", 100, 0.0, time.time(), force=True)
    assert isinstance(batch, Batch)
    leaves = store.batch_leaves(batch.id)
    submitter = HttpSubmitter(backend.url, seeded("late-gateway"))
    # Not certified yet: the site's enrolment is incomplete, so the batch waits and retries.
    with pytest.raises(SubmitError) as info:
        submitter.submit(batch, leaves)
    assert info.value.retry
    assert "403" in str(info.value)
    backend.certify(seeded("late-gateway"), "Late gateway", "service")
    assert '"status": "accepted"' in submitter.submit(batch, leaves)
    # The same id with other content is refused for good.
    other = Batch(batch.id, batch.number, merkle.root(leaves[:2]), 2, batch.created_at, "pending", 0)
    with pytest.raises(SubmitError) as info:
        submitter.submit(other, leaves[:2])
    assert not info.value.retry
    assert "409" in str(info.value)
    # Nobody listening: retry.
    with pytest.raises(SubmitError) as info:
        HttpSubmitter(f"http://127.0.0.1:{free_port()}", seeded("late-gateway")).submit(batch, leaves)
    assert info.value.retry
