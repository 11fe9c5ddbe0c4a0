"""``leasechain verify``: a reading proof online, saved, and checked offline; a tampered proof fails."""

from __future__ import annotations

import json
from pathlib import Path

from chain_client.device import device_id
from tests.cli.story import Story


def test_a_reading_is_proven_online_and_offline(story: Story, tmp_path: Path) -> None:
    saved = tmp_path / "proof.json"
    online = story.cli.ok("verify", str(story.batch), "2", "--save", str(saved))
    assert online["verified"] is True
    assert online["device_signature"] is True
    assert online["device"] == device_id(bytes(story.sensor.verify_key)).hex()
    assert online["seq"] == 2
    log_key = story.accounts["operator"]
    offline = story.cli.run(
        "verify",
        "--proof",
        str(saved),
        "--log-key",
        log_key,
        "--device-key",
        bytes(story.sensor.verify_key).hex(),
        "--url",
        "http://127.0.0.1:9",
    )
    assert offline.code == 0, offline
    assert "device signature verified" in offline.out


def test_a_tampered_proof_fails(story: Story, tmp_path: Path) -> None:
    saved = tmp_path / "proof.json"
    story.cli.ok("verify", str(story.batch), "0", "--save", str(saved))
    proof = json.loads(saved.read_text())
    proof["batch"]["index"] = 1  # claim the message sits elsewhere in its batch
    saved.write_text(json.dumps(proof))
    result = story.cli.run("verify", "--proof", str(saved), "--log-key", story.accounts["operator"])
    assert result.code == 5
    assert "inclusion proof" in result.err


def test_offline_needs_the_log_key(story: Story, tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text("{}")
    result = story.cli.run("verify", "--proof", str(path))
    assert result.code == 2
    assert "needs --log-key" in result.err
