"""The page's own crypto (explorer/static/verify.js) agrees with hashlib, PyNaCl and chain_client.

Run under the machine's node, on vectors made here by the Python implementations the ledger uses.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from chain_client import merkle
from chain_client.ledger import encode_entry, sign
from chain_client.ledger.treehead import sign_tree_head, tree_head_bytes

VERIFY_JS = Path(__file__).resolve().parents[2] / "explorer" / "static" / "verify.js"
L = 2**252 + 27742317777372353535851937790883648493

RUNNER = """
const v = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const hex = v.hexToBytes, out = {};
out.sha256 = input.hashes.map((m) => v.bytesToHex(v.sha256(hex(m))));
out.sha512 = input.hashes.map((m) => v.bytesToHex(v.sha512(hex(m))));
out.ed25519 = input.signatures.map((s) => v.ed25519Verify(hex(s.key), hex(s.message), hex(s.signature)));
out.heads = input.heads.map((h) => v.bytesToHex(v.treeHeadBytes(h.size, hex(h.root), h.time, hex(h.key))));
out.roots = input.proofs.map((p) => {
  const r = v.rootFromInclusion(v.leafHash(hex(p.entry)), p.index, p.size, p.path.map(hex));
  return r instanceof Error ? "error: " + r.message : v.bytesToHex(r);
});
out.checks = input.checks.map((c) => v.checkInclusion(c.proof, c.key, c.shown || undefined));
process.stdout.write(JSON.stringify(out));
"""

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None, reason="needs node (scripts/install-system-deps)"
)


def run_js(vectors: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        ["node", "-e", RUNNER, str(VERIFY_JS)],
        input=json.dumps(vectors).encode(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _signatures() -> tuple[list[dict[str, str]], list[bool]]:
    vectors, expected = [], []
    for i in range(12):
        key = SigningKey(hashlib.sha256(b"explorer-js-%d" % i).digest())
        message = bytes(range(i * 7 % 256)) * (i + 1)
        signature = key.sign(message).signature
        public = bytes(key.verify_key)
        good = {"key": public.hex(), "message": message.hex(), "signature": signature.hex()}
        vectors.append(good)
        expected.append(True)
        flipped = bytearray(signature)
        flipped[i % 64] ^= 0x01
        vectors.append({**good, "signature": bytes(flipped).hex()})
        vectors.append({**good, "message": (message + b"x").hex()})
        other = bytes(SigningKey(hashlib.sha256(b"other-%d" % i).digest()).verify_key)
        vectors.append({**good, "key": other.hex()})
        expected += [False, False, False]
    # S not reduced modulo L (S + L verifies the same equation): refused, as RFC 8032 says.
    s = int.from_bytes(signature[32:], "little") + L
    vectors.append({**good, "signature": (signature[:32] + s.to_bytes(32, "little")).hex()})
    expected.append(False)
    return vectors, expected


def test_hashes_signatures_tree_heads_and_inclusion_agree_with_python() -> None:
    hashes = [
        bytes((i * 31 + j) % 256 for j in range(n))
        for i, n in enumerate([0, 1, 3, 55, 56, 63, 64, 65, 111, 112, 119, 120, 127, 128, 129, 300, 1000])
    ]
    signatures, signed_ok = _signatures()
    key = SigningKey(hashlib.sha256(b"log").digest())
    heads: list[dict[str, Any]] = [
        {
            "size": size,
            "root": hashlib.sha256(b"%d" % size).hexdigest(),
            "time": time_,
            "key": bytes(key.verify_key).hex(),
        }
        for size, time_ in [
            (0, 0),
            (23, 24),
            (24, 255),
            (255, 256),
            (65535, 65536),
            (2**32 - 1, 2**32),
            (2**40, 1_700_000_000),
        ]
    ]
    entries = [b"entry %d" % i for i in range(33)]
    leaf_hashes = [merkle.leaf_hash(e) for e in entries]
    proofs, roots = [], []
    for size in (1, 2, 3, 5, 8, 13, 33):
        for index in range(size):
            path = merkle.inclusion_proof(leaf_hashes[:size], index)
            proofs.append(
                {"entry": entries[index].hex(), "index": index, "size": size, "path": [p.hex() for p in path]}
            )
            roots.append(merkle.root(entries[:size]).hex())

    got = run_js(
        {
            "hashes": [h.hex() for h in hashes],
            "signatures": signatures,
            "heads": heads,
            "proofs": proofs,
            "checks": [],
        }
    )

    assert got["sha256"] == [hashlib.sha256(h).hexdigest() for h in hashes]
    assert got["sha512"] == [hashlib.sha512(h).hexdigest() for h in hashes]
    assert got["ed25519"] == signed_ok
    assert got["heads"] == [
        tree_head_bytes(h["size"], bytes.fromhex(h["root"]), h["time"], bytes.fromhex(h["key"])).hex()
        for h in heads
    ]
    assert got["roots"] == roots


def _entries(log: SigningKey, count: int, ledger: bytes | None = None) -> list[bytes]:
    party = SigningKey(hashlib.sha256(b"party").digest())
    return [
        encode_entry(
            1_700_000_000 + i,
            sign(
                "withdraw",
                f"w-{i}",
                {"amount": 1 + i, "reference": "bank"},
                party,
                ledger=ledger or bytes(log.verify_key),
            ),
        )
        for i in range(count)
    ]


def test_check_inclusion_names_the_step_that_fails() -> None:
    key = SigningKey(hashlib.sha256(b"log").digest())
    log_key = bytes(key.verify_key).hex()
    entries = _entries(key, 7)
    foreign = _entries(key, 1, ledger=b"\x07" * 32)[0]
    hashes = [merkle.leaf_hash(e) for e in entries]
    head = sign_tree_head(7, merkle.root(entries), 1_700_000_000, key).to_json()
    audit_path = [p.hex() for p in merkle.inclusion_proof(hashes, 4)]
    proof: dict[str, Any] = {
        "index": 4,
        "entry": entries[4].hex(),
        "tree_size": 7,
        "audit_path": audit_path,
        "tree_head": head,
    }
    party = bytes(SigningKey(hashlib.sha256(b"party").digest()).verify_key).hex()
    shown = {"type": "withdraw", "id": "w-4", "signer": party, "time": 1_700_000_004}
    forged_path = [*audit_path]
    forged_path[0] = "00" * 32
    forged_signature = bytearray(entries[4])
    forged_signature[-1] ^= 1  # the last byte of the transaction's signature
    other_key = bytes(SigningKey(hashlib.sha256(b"impostor").digest()).verify_key).hex()
    cases = {
        "good": (proof, log_key, shown),
        "path": ({**proof, "audit_path": forged_path}, log_key, shown),
        "entry": ({**proof, "entry": entries[3].hex()}, log_key, None),
        "shown": (proof, log_key, {**shown, "type": "deposit"}),
        "transaction": ({**proof, "entry": bytes(forged_signature).hex()}, log_key, shown),
        "ledger": ({**proof, "entry": foreign.hex()}, log_key, None),
        "signature": ({**proof, "tree_head": {**head, "timestamp": head["timestamp"] + 1}}, log_key, shown),
        "key": (proof, other_key, shown),
        "format": ({**proof, "entry": "zz"}, log_key, shown),
    }
    got = run_js(
        {
            "hashes": [],
            "signatures": [],
            "heads": [],
            "proofs": [],
            "checks": [{"proof": p, "key": k, "shown": w} for p, k, w in cases.values()],
        }
    )
    verdicts = dict(zip(cases, got["checks"], strict=True))
    assert verdicts["good"]["ok"] is True
    assert [step["check"] for step in verdicts["good"]["steps"]] == [
        "leaf", "transaction", "shown", "tree", "path", "key", "signature"
    ]  # fmt: skip
    assert all(step["ok"] for step in verdicts["good"]["steps"])
    failing = {
        "path": "path", "entry": "path", "shown": "shown", "transaction": "transaction",
        "ledger": "transaction", "signature": "signature", "key": "key", "format": "format",
    }  # fmt: skip
    for name, step in failing.items():
        assert verdicts[name]["ok"] is False, name
        assert step in [s["check"] for s in verdicts[name]["steps"] if not s["ok"]], (name, verdicts[name])
