"""The shared vector files: RFC 8032, protocol messages and Merkle proofs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey, VerifyKey

from chain_client import ProtocolError, Reason, decode, ledger, message
from chain_client.payload import Birth, Reading
from tests.vectors import generate

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def _load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


@pytest.mark.parametrize("name", sorted(generate.VECTOR_FILES))
def test_committed_vectors_match_the_codec(name: str) -> None:
    built = generate.VECTOR_FILES[name]()
    assert _load(name) == json.loads(json.dumps(built)), f"run python -m tests.vectors.generate? ({name})"


@pytest.mark.parametrize("vector", _load("rfc8032.json")["vectors"], ids=lambda v: v["name"])
def test_pynacl_reproduces_rfc8032(vector: dict[str, str]) -> None:
    key = SigningKey(bytes.fromhex(vector["secret_key"]))
    assert bytes(key.verify_key).hex() == vector["public_key"]
    signed = key.sign(bytes.fromhex(vector["message"]))
    assert signed.signature.hex() == vector["signature"]
    VerifyKey(bytes.fromhex(vector["public_key"])).verify(signed)


def test_valid_protocol_vectors_verify_and_chain() -> None:
    vectors = _load("protocol.json")
    public = bytes.fromhex(vectors["public_key"])
    prev = bytes(32)
    for vector in vectors["valid"]:
        raw = bytes.fromhex(vector["message"])
        msg = message.verify(raw, public)
        assert msg.envelope.protected.hex() == vector["protected"]
        assert msg.envelope.payload.hex() == vector["payload"]
        assert msg.digest.hex() == vector["digest"]
        if isinstance(msg.body, Reading):
            assert msg.body.prev == prev
            assert msg.body.seq == vector["fields"]["seq"]
            prev = msg.digest
        else:
            birth = message.verify_birth(raw).body
            assert isinstance(birth, Birth)
            assert birth.public_key == public


@pytest.mark.parametrize("vector", _load("protocol.json")["invalid"], ids=lambda v: v["name"])
def test_invalid_protocol_vectors_give_their_reason(vector: dict[str, str]) -> None:
    public = bytes.fromhex(_load("protocol.json")["public_key"])
    with pytest.raises(ProtocolError) as info:
        message.verify(bytes.fromhex(vector["message"]), public)
    assert info.value.reason == Reason(vector["reason"])


def test_decode_without_key_stops_before_the_signature() -> None:
    vectors = _load("protocol.json")
    flipped = next(v for v in vectors["invalid"] if v["reason"] == "bad_signature")
    assert decode(bytes.fromhex(flipped["message"])).body.device_id.hex() == vectors["device_id"]


@pytest.mark.parametrize("vector", _load("transactions.json")["valid"], ids=lambda v: v["name"])
def test_transaction_vectors_decode_to_their_fields(vector: dict[str, Any]) -> None:
    doc = _load("transactions.json")
    tx = ledger.decode(bytes.fromhex(vector["transaction"]))
    assert (tx.type, tx.id, tx.signer, tx.ledger.hex()) == (
        vector["type"],
        vector["id"],
        doc["signer"],
        doc["ledger"],
    )
    signed = bytes.fromhex(doc["signing_context"]) + bytes.fromhex(vector["body"])
    VerifyKey(bytes.fromhex(doc["signer"])).verify(signed, bytes.fromhex(vector["signature"]))


@pytest.mark.parametrize("vector", _load("transactions.json")["invalid"], ids=lambda v: v["name"])
def test_refused_transaction_vectors_name_their_reason(vector: dict[str, str]) -> None:
    with pytest.raises(ledger.TransactionError) as info:
        ledger.decode(bytes.fromhex(vector["transaction"]))
    assert info.value.reason == vector["reason"]
