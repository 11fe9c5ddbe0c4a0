"""Generate tests/vectors/protocol.json, merkle.json and transactions.json from the host codec.

Run ``python -m tests.vectors.generate`` after a deliberate wire-format change;
tests/chain_client/test_vectors.py fails whenever the committed files and the
codec disagree, so an accidental change cannot slip through.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cbor2
from nacl.signing import SigningKey

from chain_client import cbor, cose, merkle
from chain_client.device import device_id
from chain_client.ledger import transaction
from chain_client.message import digest, sign
from chain_client.payload import Birth, Reading

HERE = Path(__file__).resolve().parent
SEED = bytes(range(32))
OTHER_SEED = bytes(range(32, 64))
T0 = 1_764_000_000


def _hex_fields(body: Reading | Birth) -> dict[str, Any]:
    if isinstance(body, Birth):
        return {
            "type": "birth",
            "device_id": body.device_id.hex(),
            "boot": body.boot,
            "time": body.time,
            "time_synced": body.time_synced,
            "firmware": body.firmware,
            "public_key": body.public_key.hex(),
        }
    return {
        "type": "reading",
        "device_id": body.device_id.hex(),
        "boot": body.boot,
        "seq": body.seq,
        "time": body.time,
        "time_synced": body.time_synced,
        "readings": {str(k): v for k, v in sorted(body.readings.items())},
        "run_seconds": body.run_seconds,
        "cycles": body.cycles,
        "prev": body.prev.hex(),
        "dropped": body.dropped,
    }


def _valid(key: SigningKey) -> list[dict[str, Any]]:
    dev = device_id(bytes(key.verify_key))
    birth = Birth(dev, boot=1, time=T0, time_synced=True, firmware="1.0.0", public_key=bytes(key.verify_key))
    samples = [
        ({1: 2150, 2: 4512, 3: 101_325, 4: 0, 5: 4100, 6: 0}, 0, 0, 0),
        ({1: 2163, 2: 4498, 3: 101_322, 4: 3250, 5: 4180, 6: 1}, 10, 3, 0),
        ({1: -1250, 2: 10_000, 3: 99_000, 4: 65_000, 5: 8500, 6: 1}, 20, 7, 4),
        ({}, 4_294_967_296, 2**40, 1),
    ]
    out = [_entry("birth", birth, sign(birth, key))]
    prev = bytes(32)  # the device's very first reading
    for seq, (values, run, cycles, dropped) in enumerate(samples):
        reading = Reading(
            dev,
            boot=1,
            seq=seq,
            time=T0 + 10 * seq,
            time_synced=seq != 3,
            readings=values,
            run_seconds=run,
            cycles=cycles,
            prev=prev,
            dropped=dropped,
        )
        message = sign(reading, key)
        out.append(_entry(f"reading seq {seq}", reading, message))
        prev = digest(message)
    return out


def _entry(name: str, body: Reading | Birth, message: bytes) -> dict[str, Any]:
    env = cose.parse(message)
    return {
        "name": name,
        "fields": _hex_fields(body),
        "protected": env.protected.hex(),
        "payload": env.payload.hex(),
        "to_be_signed": env.to_be_signed().hex(),
        "signature": env.signature.hex(),
        "message": message.hex(),
        "digest": digest(message).hex(),
    }


def _signed(key: SigningKey, protected: bytes, payload: bytes, unprotected: Any = None) -> bytes:
    signature = key.sign(cose.sig_structure(protected, payload)).signature
    return cbor.dumps(cbor2.CBORTag(18, [protected, unprotected or {}, payload, signature]))


def _invalid(key: SigningKey, other: SigningKey) -> list[dict[str, Any]]:
    dev = device_id(bytes(key.verify_key))
    reading = Reading(dev, boot=2, seq=5, time=T0, time_synced=True, readings={1: 2000}, run_seconds=60)
    good = sign(reading, key)
    protected = cose.protected_header(dev)
    payload_map = reading.to_map()

    def with_payload(**changes: Any) -> bytes:
        m = dict(payload_map)
        for k, v in changes.items():
            key_id = int(k[1:])
            if v is None:
                del m[key_id]
            else:
                m[key_id] = v
        return _signed(key, protected, cbor.dumps(m))

    bad_sig = bytearray(good)
    bad_sig[-1] ^= 0x01
    cases: list[tuple[str, bytes, str]] = [
        ("empty input", b"", "bad_cbor"),
        ("oversize: 1025 bytes", b"\xd2" + bytes(1024), "oversize"),
        ("untagged COSE array", good[1:], "wrong_tag"),
        ("COSE_Sign (tag 98) instead of COSE_Sign1", b"\xd8\x62" + good[1:], "wrong_tag"),
        ("truncated by one byte", good[:-1], "bad_cbor"),
        ("one trailing byte", good + b"\x00", "bad_cbor"),
        ("array of 3 items", cbor.dumps(cbor2.CBORTag(18, [protected, {}, b"x"])), "bad_structure"),
        (
            "indefinite-length array",
            b"\xd2\x9f" + b"".join(cbor.dumps(x) for x in [protected, {}, b"x", bytes(64)]) + b"\xff",
            "bad_cbor",
        ),
        (
            "protected header keys out of order",
            _signed(key, b"\xa2\x04\x50" + dev + b"\x01\x27", cbor.dumps(payload_map)),
            "non_canonical",
        ),
        (
            "alg ES256 (-7)",
            _signed(key, cbor.dumps({1: -7, 4: dev}), cbor.dumps(payload_map)),
            "unsupported_alg",
        ),
        ("no alg", _signed(key, cbor.dumps({4: dev}), cbor.dumps(payload_map)), "bad_header"),
        (
            "kid in the unprotected header",
            _signed(key, protected, cbor.dumps(payload_map), {4: dev}),
            "bad_header",
        ),
        (
            "signature of 63 bytes",
            cbor.dumps(cbor2.CBORTag(18, [protected, {}, b"x", bytes(63)])),
            "bad_structure",
        ),
        ("protocol version 2", with_payload(k1=2), "unsupported_version"),
        ("payload lacks seq", with_payload(k4=None), "bad_payload"),
        ("payload has unknown key 99", with_payload(k99=1), "bad_payload"),
        ("negative seq", with_payload(k4=-1), "bad_payload"),
        ("prev digest of 31 bytes", with_payload(k9=bytes(31)), "bad_payload"),
        ("float reading", with_payload(k7={1: 21.5}), "bad_cbor"),
        (
            "payload non-canonical (seq 5 in a two-byte head)",
            _signed(key, protected, cbor.dumps(payload_map).replace(b"\x04\x05", b"\x04\x18\x05", 1)),
            "non_canonical",
        ),
        (
            "kid differs from payload device id",
            _signed(key, cose.protected_header(device_id(bytes(other.verify_key))), cbor.dumps(payload_map)),
            "kid_mismatch",
        ),
        ("last signature bit flipped", bytes(bad_sig), "bad_signature"),
        (
            "signed by another key",
            _signed(other, protected, cbor.dumps(payload_map)),
            "bad_signature",
        ),
    ]
    return [{"name": name, "message": data.hex(), "reason": reason} for name, data, reason in cases]


def protocol_vectors() -> dict[str, Any]:
    """Valid messages with every intermediate value, and invalid ones with their reason."""
    key = SigningKey(SEED)
    other = SigningKey(OTHER_SEED)
    return {
        "description": "Lease Chain protocol v1 vectors; see docs/protocol.md",
        "seed": SEED.hex(),
        "public_key": bytes(key.verify_key).hex(),
        "device_id": device_id(bytes(key.verify_key)).hex(),
        "valid": _valid(key),
        "invalid": _invalid(key, other),
    }


def merkle_vectors() -> dict[str, Any]:
    """RFC 9162 roots and proofs over the Certificate Transparency test leaves."""
    leaves = [
        b"",
        b"\x00",
        b"\x10",
        b"\x20\x21",
        b"\x30\x31",
        b"\x40\x41\x42\x43",
        b"\x50\x51\x52\x53\x54\x55\x56\x57",
        b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    ]
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    return {
        "description": "RFC 9162 Merkle tree vectors (leaves as in the Certificate Transparency tests)",
        "leaves": [leaf.hex() for leaf in leaves],
        "roots": {str(n): merkle.root_from_leaf_hashes(hashes[:n]).hex() for n in range(0, 9)},
        "inclusion": [
            {
                "index": i,
                "tree_size": n,
                "path": [h.hex() for h in merkle.inclusion_proof(hashes[:n], i)],
            }
            for n in range(1, 9)
            for i in range(n)
        ],
        "consistency": [
            {
                "old_size": m,
                "new_size": n,
                "proof": [h.hex() for h in merkle.consistency_proof(hashes[:n], m)],
            }
            for n in range(1, 9)
            for m in range(1, n + 1)
        ],
    }


def _json_args(value: Any) -> Any:
    """CBOR arguments as JSON: byte strings become ``{"bstr": hex}``."""
    if isinstance(value, bytes):
        return {"bstr": value.hex()}
    if isinstance(value, dict):
        return {k: _json_args(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_args(v) for v in value]
    return value


def _signed_vector(
    name: str, tx_type: str, tx_id: str, args: dict[str, Any], key: SigningKey, log: bytes
) -> Any:
    body = transaction.encode_body(tx_type, tx_id, args, log)
    raw = transaction.sign(tx_type, tx_id, args, key, ledger=log)
    return {
        "name": name,
        "type": tx_type,
        "id": tx_id,
        "args": _json_args(args),
        "body": body.hex(),
        "signature": key.sign(transaction.SIGNING_CONTEXT + body).signature.hex(),
        "transaction": raw.hex(),
    }


def _unsigned_body_vector(name: str, body: dict[str, Any], key: SigningKey, reason: str) -> Any:
    encoded = cbor.dumps(body)
    signature = key.sign(transaction.SIGNING_CONTEXT + encoded).signature
    raw = cbor.dumps([encoded, bytes(key.verify_key), signature])
    return {"name": name, "transaction": raw.hex(), "reason": reason}


def transaction_vectors() -> dict[str, Any]:
    """Signed ledger transactions (version 2, bound to a ledger) and refused ones with their reason."""
    key, log = SigningKey(SEED), bytes(SigningKey(OTHER_SEED).verify_key)
    account = bytes(key.verify_key).hex()
    fees = [{"account": log.hex(), "bps": 250}]
    terms = {
        "token": "tok-0123456789abcdef",
        "lessee": account,
        "start": T0,
        "end": T0 + 3 * 86400,
        "period": 86400,
        "fixed_rent": 45000,
        "usage_rate": 240,
        "deposit": 10000,
        "grace": 3600,
        "fees": fees,
        "expires": T0 + 86400,
    }
    v1 = {"v": 1, "type": "withdraw", "id": "w-1", "args": {"amount": 5, "reference": "r"}}
    v2 = {"v": 2, "ledger": log, "type": "withdraw", "id": "w-1", "args": {"amount": 5, "reference": "r"}}
    return {
        "description": "Lease Chain signed transactions, version 2; see docs/ledger.md",
        "seed": SEED.hex(),
        "signer": account,
        "ledger": log.hex(),
        "signing_context": transaction.SIGNING_CONTEXT.hex(),
        "valid": [
            _signed_vector("withdraw", "withdraw", "w-1", {"amount": 5, "reference": "r"}, key, log),
            _signed_vector(
                "bind_device", "bind_device", "b-1", {"token": "tok-1", "public_key": log}, key, log
            ),
            _signed_vector("offer_lease", "offer_lease", "o-1", terms, key, log),
        ],
        "invalid": [
            _unsigned_body_vector("version 1", v1, key, "unsupported_version"),
            _unsigned_body_vector(
                "no ledger", {k: v for k, v in v2.items() if k != "ledger"}, key, "bad_encoding"
            ),
            _unsigned_body_vector("short ledger", {**v2, "ledger": log[:16]}, key, "bad_encoding"),
            _unsigned_body_vector("ledger as text", {**v2, "ledger": log.hex()}, key, "bad_encoding"),
        ],
    }


VECTOR_FILES = {
    "protocol.json": protocol_vectors,
    "merkle.json": merkle_vectors,
    "transactions.json": transaction_vectors,
}


def main() -> None:
    """Write the vector files."""
    for name, build in VECTOR_FILES.items():
        data = build()
        (HERE / name).write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
