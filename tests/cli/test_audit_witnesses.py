"""``leasechain audit verify`` with witnesses: each entry's tlog-proof, and who co-signed its checkpoint.

The story's ledger runs without witnesses; here two witnesses, whose
cosignatures aics-tlog (not our code) makes, co-sign the checkpoint the
bundle's proofs lead to, and the auditor states which witnesses it trusts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aics_tlog
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chain_client.tlog import cosigner, note, parse_text
from chain_client.tlog.proof import parse_proof
from tests.cli.runner import Result
from tests.cli.story import Story

KEYS = {f"w{i}.example.org/w": Ed25519PrivateKey.from_private_bytes(bytes([40 + i]) * 32) for i in range(3)}
VKEYS = {name: cosigner(name, key.public_key().public_bytes_raw()).vkey() for name, key in KEYS.items()}


def cosigned(story: Story, tmp_path: Path, names: list[str]) -> Path:
    data = json.loads(story.bundle.read_text())
    for entry in data["entries"]:
        proof = parse_proof(entry["tlog_proof"])
        checkpoint = parse_text(note.parse(proof.checkpoint).text)
        theirs = aics_tlog.parse_note(proof.checkpoint)
        lines = [
            aics_tlog.sign_cosignature(
                KEYS[n], n, 1_700_000_000, checkpoint.origin, checkpoint.size, checkpoint.root
            )[1]
            for n in names
        ]
        whole = aics_tlog.Note(theirs.text, (*theirs.signatures, *lines)).to_bytes()
        entry["tlog_proof"] = entry["tlog_proof"].replace(proof.checkpoint.decode(), whole.decode())
    path = tmp_path / "cosigned.json"
    path.write_text(json.dumps(data))
    return path


def run(story: Story, path: Path, *args: str) -> Result:
    return story.cli.run("audit", "verify", str(path), "--url", "http://127.0.0.1:9", *args)


def test_the_bundle_carries_a_tlog_proof_for_every_entry(story: Story) -> None:
    data = json.loads(story.bundle.read_text())
    assert all(e["tlog_proof"].startswith("c2sp.org/tlog-proof@v1\n") for e in data["entries"])
    result = run(story, story.bundle, "--json", "--log-key", story.accounts["operator"])
    report: dict[str, Any] = result.json()
    assert report["checks"]["tlog_proof"] == {"passed": len(data["entries"]), "failed": 0}


def test_two_of_three_trusted_witnesses_cosigned(story: Story, tmp_path: Path) -> None:
    path = cosigned(story, tmp_path, ["w0.example.org/w", "w2.example.org/w"])
    witnesses = [a for v in VKEYS.values() for a in ("--witness", v)]
    operator = ["--log-key", story.accounts["operator"]]
    ok = run(story, path, *operator, *witnesses, "--quorum", "2")
    assert ok.code == 0, ok
    assert "witnesses: w0.example.org/w, w2.example.org/w co-signed" in ok.out
    report = run(story, path, "--json", *operator, *witnesses, "--quorum", "2").json()
    assert report["summary"]["witnesses"] == ["w0.example.org/w", "w2.example.org/w"]
    short = run(story, path, "--json", *operator, *witnesses)  # all three required
    assert short.code == 5
    assert "the witness quorum is not met" in short.json()["failures"][0]["detail"]


def test_a_policy_file_pins_the_log_and_the_witnesses(story: Story, tmp_path: Path) -> None:
    path = cosigned(story, tmp_path, ["w1.example.org/w"])
    proof = parse_proof(json.loads(path.read_text())["entries"][0]["tlog_proof"])
    origin = parse_text(note.parse(proof.checkpoint).text).origin
    from chain_client.tlog import log_verifier

    log_vkey = log_verifier(origin, bytes.fromhex(story.accounts["operator"])).vkey()
    policy = tmp_path / "trust.policy"
    policy.write_text(
        f"log {log_vkey}\n"
        + "".join(f"witness W{i} {v}\n" for i, v in enumerate(VKEYS.values()))
        + "group any-one any W0 W1 W2\nquorum any-one\n"
    )
    ok = run(story, path, "--policy", str(policy))  # the policy's log line pins the log key too
    assert ok.code == 0, ok
    assert "witnesses: W1 co-signed" in ok.out
    strangers = tmp_path / "strangers.policy"
    stranger = cosigner("s.example/w", bytes([9]) * 32).vkey()
    strangers.write_text(f"log {log_vkey}\nwitness S {stranger}\nquorum S\n")
    refused = run(story, path, "--policy", str(strangers))
    assert refused.code == 5
    assert "co-signed by no trusted witness" in refused.out


def test_a_forged_cosignature_is_named(story: Story, tmp_path: Path) -> None:
    path = cosigned(story, tmp_path, ["w0.example.org/w"])
    data = json.loads(path.read_text())
    proof = data["entries"][0]["tlog_proof"]
    head, _, line = proof.rstrip("\n").rpartition("\n")
    name, blob = line.split(" ")[1:]
    forged = blob[:40] + ("A" if blob[40] != "A" else "B") + blob[41:]  # one bit of the signature
    data["entries"][0]["tlog_proof"] = f"{head}\n\u2014 {name} {forged}\n"
    path.write_text(json.dumps(data))
    result = run(story, path, "--json", "--log-key", story.accounts["operator"], "--witness", VKEYS[name])
    assert result.code == 5
    failure = result.json()["failures"][0]
    assert failure["check"] == "tlog_proof"
    assert "does not verify" in failure["detail"]


@pytest.mark.parametrize(("args", "why"), [(["--quorum", "1"], "--quorum needs --witness")])
def test_bad_trust_flags_are_named(story: Story, args: list[str], why: str) -> None:
    result = run(story, story.bundle, *args)
    assert result.code != 0
    assert why in result.err


def test_aics_tlog_checks_every_tlog_proof_of_the_bundle(story: Story, tmp_path: Path) -> None:
    """Each proof read as the spec lays it out (no code of ours) and checked with aics-tlog."""
    import base64

    data = json.loads(cosigned(story, tmp_path, ["w0.example.org/w", "w1.example.org/w"]).read_text())
    log_key = bytes.fromhex(story.accounts["operator"])
    for entry in data["entries"]:
        head, checkpoint = entry["tlog_proof"].split("\n\n", 1)
        lines = head.split("\n")
        assert lines[0] == "c2sp.org/tlog-proof@v1"
        assert lines[1] == f"index {entry['index']}"
        path = [base64.b64decode(line) for line in lines[2:]]
        signed = aics_tlog.parse_note(checkpoint.encode())
        origin = signed.text.split("\n")[0]
        checked = aics_tlog.verify_checkpoint(
            signed,
            aics_tlog.vkey_from_ed25519(origin, log_key),
            [aics_tlog.parse_vkey(VKEYS[n]) for n in ("w0.example.org/w", "w1.example.org/w")],
            2,
        )
        assert checked.ok, checked.error
        assert checked.size is not None
        assert checked.root is not None
        assert aics_tlog.verify_leaf_inclusion(
            bytes.fromhex(entry["entry"]), entry["index"], checked.size, path, checked.root
        )
