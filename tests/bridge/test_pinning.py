"""The bridge anchors only checkpoints signed by the pinned log key and co-signed by enough real witnesses."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from bridge.anvil import KEYS
from bridge.cli import main
from bridge.config import log_key
from bridge.errors import BridgeError
from chain_client.client import LedgerClient
from chain_client.evm import Rpc, anchor_at
from chain_client.tlog import cosigner, log_verifier
from chain_client.tlog import note as notes
from simulator.services import Witness
from tests.bridge.world import OPERATOR, World, make_world

pytestmark = [pytest.mark.anvil, pytest.mark.slow]
ORIGIN = "ledger.test/pinned"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path)
    try:
        yield made
    finally:
        made.ledger.stop()
        made.anvil.stop()


def test_a_pinned_log_key_anchors_its_checkpoints(world: World) -> None:
    pinned = log_key(_info(world)["vkey"])
    assert world.bridge(confirmations=1, log_vkey=pinned).anchorer.step().action == "anchored"
    assert world.on_chain() == world.size()


def test_a_checkpoint_not_signed_by_the_pinned_key_is_never_anchored(world: World) -> None:
    # The key of another log under the very same origin: a ledger that swapped its key, or a forger.
    impostor = log_verifier(world.origin, bytes(SigningKey(bytes(32 * [9])).verify_key))
    bridge = world.bridge(confirmations=1, log_vkey=impostor)
    with pytest.raises(BridgeError, match="does not verify under the pinned log key"):
        bridge.anchorer.step()
    # Another origin's key: refused by name.
    elsewhere = log_verifier("elsewhere.test/log", bytes(OPERATOR.verify_key))
    with pytest.raises(BridgeError, match="origin"):
        world.bridge(confirmations=1, log_vkey=elsewhere).anchorer.step()
    assert world.anchored_sizes() == []


def test_leasechain_bridge_takes_the_pinned_key_from_its_environment(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    impostor = log_verifier(world.origin, bytes(SigningKey(bytes(32 * [9])).verify_key))
    monkeypatch.setenv("LEASECHAIN_LOG_VKEY", impostor.vkey())
    args = _run_args(world, tmp_path)
    assert main(args) == 2
    assert "does not verify under the pinned log key" in capsys.readouterr().err
    # The option wins over the environment.
    assert main([*args, "--log-vkey", _info(world)["vkey"]]) == 0
    assert json.loads(capsys.readouterr().out)["anchor"] == "anchored"


def test_bad_log_keys_and_witness_policies_are_named(world: World, tmp_path: Path) -> None:
    witness = cosigner("w.test/witness", bytes(SigningKey(bytes(32)).verify_key))
    with pytest.raises(BridgeError, match="expected 0x01"):
        log_key(witness.vkey())
    with pytest.raises(BridgeError, match="not a verifier key"):
        log_key("ledger.test+00000000+AQ==")
    with pytest.raises(BridgeError, match="min cosignatures is 2, expected 0 to the 1 witness"):
        world.bridge(min_cosignatures=2, witnesses=(witness,))
    with pytest.raises(BridgeError, match="min cosignatures is -1"):
        world.bridge(min_cosignatures=-1)
    assert main([*_run_args(world, tmp_path), "--min-cosignatures", "1"]) == 2
    args = [*_run_args(world, tmp_path), "--witness", witness.vkey(), "--witness", witness.vkey()]
    assert main(args) == 2  # one witness given twice would count twice


@pytest.fixture
def witnessed(tmp_path: Path) -> Iterator[tuple[World, Witness]]:
    """A ledger whose checkpoints a real ``leasechain-witness`` co-signs before they are published."""
    log_vkey = log_verifier(ORIGIN, bytes(OPERATOR.verify_key)).vkey()
    witness = Witness(tmp_path / "witness", "w1.test/witness", log_vkey)
    witness.start()
    policy = tmp_path / "witnesses.policy"
    policy.write_text(
        f"log {log_vkey}\nwitness w1.test/witness {witness.vkey} {witness.url}\n"
        "group one all w1.test/witness\nquorum one\n"
    )
    made = make_world(tmp_path, ["--origin", ORIGIN, "--witness-policy", str(policy)])
    try:
        yield made, witness
    finally:
        made.ledger.stop()
        made.anvil.stop()
        witness.stop()


def test_only_checkpoints_with_enough_verified_cosignatures_are_anchored(
    witnessed: tuple[World, Witness],
) -> None:
    world, witness = witnessed
    size = _cosigned_size(world)
    ours = notes.parse_vkey(witness.vkey)
    stranger = cosigner("w2.test/witness", bytes(SigningKey(bytes(32 * [5])).verify_key))
    pinned = log_key(_info(world)["vkey"])
    # Two witnesses required, one co-signed: nothing is anchored.
    strict = world.bridge(confirmations=1, log_vkey=pinned, witnesses=(ours, stranger), min_cosignatures=2)
    assert strict.anchorer.step().action == "idle"
    assert world.anchored_sizes() == []
    # One required: the checkpoint goes on chain with the count of cosignatures that verified.
    bridge = world.bridge(confirmations=1, log_vkey=pinned, witnesses=(ours, stranger), min_cosignatures=1)
    assert bridge.anchorer.step().action == "anchored"
    anchored = world.on_chain()
    assert anchored >= size
    with Rpc(world.anvil.url) as rpc:
        on_chain = anchor_at(rpc, world.anchor, world.origin, anchored)
    assert on_chain.cosignatures == 1


def _cosigned_size(world: World, timeout: float = 60.0) -> int:
    """Wait until the published checkpoint carries the witness's line; its size."""
    deadline = time.monotonic() + timeout
    with LedgerClient(world.ledger.url) as client:
        while True:
            note = notes.parse(client.http.get("/checkpoint").content)
            if len(note.signatures) >= 2:
                return int(note.text.split("\n")[1])
            assert time.monotonic() < deadline, "the witness never co-signed the checkpoint"
            time.sleep(0.2)


def _info(world: World) -> dict[str, str]:
    with LedgerClient(world.ledger.url) as client:
        return dict(client.http.get("/v1/info").json())


def _run_args(world: World, tmp_path: Path) -> list[str]:
    (tmp_path / "eth-key").write_text(KEYS[1])
    (tmp_path / "ledger-key").write_text(bytes(world.cast.service.key).hex())
    args = ["run", "--once", "--ledger", world.ledger.url, "--rpc", world.anvil.url, "--chain-id", "31337"]
    args += ["--anchor-contract", world.anchor, "--interval", "0", "--confirmations", "1"]
    return [*args, "--eth-key", str(tmp_path / "eth-key"), "--ledger-key", str(tmp_path / "ledger-key")]
