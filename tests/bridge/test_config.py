"""Bad keys, settings and chains are refused with a message that names them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bridge.anvil import KEYS, Anvil
from bridge.chain import Chain
from bridge.cli import main
from bridge.config import BridgeConfig, read_hex_key, secret_file, witness_keys
from bridge.errors import BridgeError
from chain_client.evm import Rpc, writer_of


@pytest.mark.parametrize(
    ("content", "message"),
    [("zz" * 32, "not hex"), ("ab" * 31, "31 bytes"), ("", "0 bytes")],
)
def test_a_bad_key_file_is_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "eth-key"
    path.write_text(content)
    with pytest.raises(BridgeError, match=message):
        read_hex_key(path, "chain key")


def test_keys_read_with_or_without_0x(tmp_path: Path) -> None:
    path = tmp_path / "eth-key"
    path.write_text("0x" + KEYS[0] + "\n")
    assert read_hex_key(path, "chain key") == bytes.fromhex(KEYS[0])
    with pytest.raises(BridgeError, match="cannot read"):
        read_hex_key(tmp_path / "missing", "chain key")


def test_without_a_key_file_or_credentials_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(BridgeError, match="LoadCredential=eth-key"):
        secret_file("eth-key", None)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(BridgeError, match="confirmations is 0"):
        BridgeConfig("http://l", "http://r", 1, "0x" + "00" * 20, confirmations=0)
    with pytest.raises(BridgeError, match="chain id is 0"):
        BridgeConfig("http://l", "http://r", 0, "0x" + "00" * 20)
    with pytest.raises(BridgeError, match="witness key"):
        witness_keys(["not a vkey"])


@pytest.mark.anvil
def test_the_node_must_serve_the_configured_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    node = Anvil(tmp_path)
    node.start()
    try:
        with pytest.raises(BridgeError, match="serves chain 31337, the bridge is set for 10"):
            Chain(node.url, bytes.fromhex(KEYS[0]), 10).check_chain_id()
        key = tmp_path / "key"
        key.write_text(KEYS[0])
        args = ["deploy", "--rpc", node.url, "--chain-id", "10", "--eth-key", str(key)]
        assert main([*args, "--origin", "x.test/log", "--explorer-url", "http://e"]) == 2
        assert "serves chain 31337" in capsys.readouterr().err
    finally:
        node.stop()


@pytest.mark.anvil
def test_deploy_prints_the_contracts_and_registers_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = Anvil(tmp_path)
    node.start()
    try:
        key = tmp_path / "key"
        key.write_text(KEYS[0])
        writer = Chain(node.url, bytes.fromhex(KEYS[1]), 31337).address.lower()
        args = ["deploy", "--rpc", node.url, "--chain-id", "31337", "--eth-key", str(key), "--writer", writer]
        assert main([*args, "--origin", "x.test/log", "--explorer-url", "http://explorer.test/"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["writer"] == writer
        with Rpc(node.url) as rpc:
            assert writer_of(rpc, out["anchor_contract"], "x.test/log") == out["writer"]
        token = Chain(node.url, bytes.fromhex(KEYS[0]), 31337).contract("MachineToken", out["token_contract"])
        assert token.functions.bridge().call().lower() == out["writer"]
    finally:
        node.stop()
