"""Witness policies in the c2sp.org/tlog-policy format: the spec's example and every refusal."""

from __future__ import annotations

import pytest
from nacl.signing import SigningKey

from chain_client.tlog import (
    Checkpoint,
    NoteError,
    cosign,
    cosigner,
    log_verifier,
    parse_vkey,
    sign_checkpoint,
)
from chain_client.tlog.note import Note
from chain_client.tlog.policy import parse_policy

LOG = SigningKey(b"\x01" * 32)
LOG_VKEY = log_verifier("log.example/l", bytes(LOG.verify_key)).vkey()
KEYS = {n: SigningKey(bytes([i + 2]) * 32) for i, n in enumerate(["X1", "X2", "X3", "Y1", "Y2", "Y3"])}


def vkey(name: str) -> str:
    return cosigner(f"{name.lower()}.example/w", bytes(KEYS[name].verify_key)).vkey()


SPEC_EXAMPLE = f"""# the example of c2sp.org/tlog-policy
log {LOG_VKEY}

witness X1 {vkey("X1")}
witness X2 {vkey("X2")}
witness X3 {vkey("X3")} http://x3.example/
group X-witnesses 2 X1 X2 X3

witness Y1 {vkey("Y1")}
\twitness Y2 {vkey("Y2")}
witness Y3 {vkey("Y3")}
group Y-witnesses any Y1 Y2 Y3

group X-and-Y all X-witnesses Y-witnesses
quorum X-and-Y
"""


def signed_by(names: list[str]) -> Note:
    text = Checkpoint("log.example/l", 5, b"\x00" * 32).text()
    base = sign_checkpoint(Checkpoint("log.example/l", 5, b"\x00" * 32), LOG)
    lines = [cosign(text, f"{n.lower()}.example/w", KEYS[n], 1_700_000_000) for n in names]
    return Note(base.text, base.signatures + tuple(lines))


def test_the_spec_example_needs_two_x_and_one_y() -> None:
    policy = parse_policy(SPEC_EXAMPLE)
    assert policy.witnesses["X3"].url == "http://x3.example/"
    assert policy.logs[0][0] == parse_vkey(LOG_VKEY)
    assert policy.met(["X1", "X3", "Y2"])
    assert not policy.met(["X1", "Y1", "Y2", "Y3"])
    assert not policy.met(["X1", "X2", "X3"])
    found = policy.cosigners(signed_by(["X1", "X2", "Y3"]))
    assert found == ["X1", "X2", "Y3"]
    assert policy.met(found)
    assert parse_policy("quorum none\n").met([])


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "no quorum"),
        ("quorum X\n", "not defined"),
        (f"witness X1 {vkey('X1')}\nwitness X2 {vkey('X1')}\nquorum X1\n", "one public key"),
        (f"witness X1 {vkey('X1')}\nwitness X1 {vkey('X2')}\nquorum X1\n", "already defined"),
        (f"witness none {vkey('X1')}\nquorum none\n", "reserved"),
        (f"witness X1 {vkey('X1')}\ngroup G 2 X1\nquorum G\n", "outside 1..1"),
        (f"witness X1 {vkey('X1')}\ngroup G 0 X1\nquorum G\n", "not all, any"),
        (f"witness X1 {vkey('X1')}\ngroup G any X1 X1\nquorum G\n", "twice"),
        (f"witness X1 {vkey('X1')}\ngroup G any X1 H\nquorum G\n", "not defined"),
        (f"witness X1 {LOG_VKEY}\nquorum X1\n", "type 0x04"),
        (f"log {vkey('X1')}\nquorum none\n", "type 0x01"),
        ("quorum none\nquorum none\n", "second quorum"),
        ("frobnicate\nquorum none\n", "expected"),
        ("witness X1 nonsense\nquorum none\n", "vkey"),
    ],
)
def test_bad_policies_name_the_line(text: str, why: str) -> None:
    with pytest.raises(NoteError, match=why):
        parse_policy(text)


def test_a_vkey_whose_base64_holds_a_plus_parses() -> None:
    for seed in range(64):
        public = bytes(SigningKey(bytes([seed]) * 32).verify_key)
        text = cosigner("w.example/w", public).vkey()
        if "+" in text.split("+", 2)[2]:
            assert parse_vkey(text).public_key == public
            return
    pytest.fail("no seed gave a '+' in base64")
