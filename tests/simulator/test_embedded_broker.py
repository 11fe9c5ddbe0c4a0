"""The demo's fallback broker (amqtt, MQTT 3.1.1) carries a fleet to a real gateway."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from simulator.device import signer_for
from simulator.runner import Target, run
from simulator.scenario import parse
from simulator.services import Broker, Gateway

pytestmark = pytest.mark.slow


def test_a_fleet_reaches_the_gateway_through_the_embedded_broker(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker", prefer="amqtt")
    assert broker.kind == "amqtt"
    assert broker.protocol == "3.1.1"
    broker.start()
    registry = tmp_path / "devices.json"
    registry.write_text(
        json.dumps({"devices": [{"public_key": signer_for(4, i).public_key.hex()} for i in range(5)]})
    )
    gateway = Gateway(
        tmp_path / "gateway",
        (broker.host, broker.port, broker.protocol),
        None,
        SigningKey.generate(),
        registry_file=registry,
    )
    try:
        gateway.start()
        sc = parse({"run": {"seed": 4, "devices": 5, "rate": 2, "duration_seconds": 3, "drain_seconds": 20}})
        outcome = run(sc, Target((broker.host, broker.port), gateway_store=gateway.store), lambda _: None)
    finally:
        gateway.stop()
        broker.stop()
    assert outcome.verdict.passed, outcome.report["failures"]
    assert outcome.report["gateway"]["stored"] == 30
