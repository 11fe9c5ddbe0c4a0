"""COSE_Sign1 of the firmware (cose.py, payload.py) byte-identical to tests/vectors/protocol.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from chain_client import message as host_message
from chain_client.payload import Birth, Reading
from harness.micropython import MicroPython
from tests.firmware.device import run_mp

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "protocol.json").read_text())

SCRIPT = """
import hashlib, mptest
from leasechain import cose, ed25519, identity, payload
data = mptest.inp()
key = ed25519.SigningKey(mptest.unhx(data["seed"]))
dev = identity.device_id(key.public_key)
result = {"public_key": mptest.hx(key.public_key), "device_id": identity.device_hex(dev), "valid": []}
for f in data["valid"]:
    if f["type"] == "birth":
        body = payload.birth(
            mptest.unhx(f["device_id"]), f["boot"], f["time"], f["time_synced"], f["firmware"],
            mptest.unhx(f["public_key"]),
        )
    else:
        readings = {}
        for k in f["readings"]:
            readings[int(k)] = f["readings"][k]
        body = payload.reading(
            mptest.unhx(f["device_id"]), f["boot"], f["seq"], f["time"], f["time_synced"], readings,
            f["run_seconds"], f["cycles"], mptest.unhx(f["prev"]), f["dropped"],
        )
    protected = cose.protected_header(dev)
    tbs = cose.sig_structure(protected, body)
    message = cose.sign1(body, key, dev)
    result["valid"].append({
        "protected": mptest.hx(protected),
        "payload": mptest.hx(body),
        "to_be_signed": mptest.hx(tbs),
        "signature": mptest.hx(key.sign(tbs)),
        "message": mptest.hx(message),
        "digest": mptest.hx(hashlib.sha256(message).digest()),
    })
# The largest reading the payload rules allow still fits the limit...
u32 = 2**32 - 1
u64 = 2**64 - 1
many = dict((65535 - i, -(2**63)) for i in range(32))
big = payload.reading(dev, u32, u32, u64, True, many, u64, u64, bytes(32), u32)
result["largest"] = len(cose.sign1(big, key, dev))
# ...and anything larger is refused before it is sent.
try:
    cose.sign1(bytes(1000), key, dev)
except cose.MessageTooLargeError as exc:
    result["too_large"] = str(exc)
mptest.out(result)
"""

FIELDS = ("protected", "payload", "to_be_signed", "signature", "message", "digest")


@pytest.fixture(scope="module")
def device_vectors(micropython: MicroPython) -> Any:
    data = {"seed": VECTORS["seed"], "valid": [v["fields"] for v in VECTORS["valid"]]}
    return run_mp(micropython, SCRIPT, data)


@pytest.mark.micropython
def test_identity_matches_the_vectors(device_vectors: Any) -> None:
    assert device_vectors["public_key"] == VECTORS["public_key"]
    assert device_vectors["device_id"] == VECTORS["device_id"]


@pytest.mark.micropython
@pytest.mark.parametrize("index", range(len(VECTORS["valid"])), ids=[v["name"] for v in VECTORS["valid"]])
def test_every_intermediate_value_matches(device_vectors: Any, index: int) -> None:
    expected = VECTORS["valid"][index]
    got = device_vectors["valid"][index]
    for name in FIELDS:
        assert got[name] == expected[name], name


@pytest.mark.micropython
def test_messages_equal_the_host_encoder_and_verify(device_vectors: Any) -> None:
    key = SigningKey(bytes.fromhex(VECTORS["seed"]))
    public = bytes(key.verify_key)
    for vector, got in zip(VECTORS["valid"], device_vectors["valid"], strict=True):
        raw = bytes.fromhex(got["message"])
        decoded = host_message.verify(raw, public)
        body = decoded.body
        assert isinstance(body, Reading | Birth)
        assert host_message.sign(body, key) == raw, vector["name"]


@pytest.mark.micropython
def test_oversized_message_is_refused(device_vectors: Any) -> None:
    assert device_vectors["largest"] <= 1024
    assert device_vectors["too_large"].startswith("message is ")
    assert device_vectors["too_large"] == "message is 1094 bytes, limit 1024"
