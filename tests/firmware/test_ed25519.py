"""Ed25519 of the firmware (firmware/leasechain/ed25519.py) under MicroPython: RFC 8032 and PyNaCl."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
L = 2**252 + 27742317777372353535851937790883648493

SIGN = """
import mptest
from leasechain import ed25519, ed25519_verify
cases = mptest.inp()
result = []
for seed, message, with_table in cases:
    key = ed25519.SigningKey(mptest.unhx(seed), None if with_table else b"")
    msg = mptest.unhx(message)
    sig = key.sign(msg)
    ok = ed25519_verify.verify(key.public_key, msg, sig)
    result.append([mptest.hx(key.public_key), mptest.hx(sig), ok])
mptest.out(result)
"""

VERIFY = """
import mptest
from leasechain import ed25519_verify
mptest.out([
    ed25519_verify.verify(mptest.unhx(pk), mptest.unhx(m), mptest.unhx(s), None if t else b"")
    for pk, m, s, t in mptest.inp()
])
"""


def _rfc8032() -> list[dict[str, str]]:
    vectors: list[dict[str, str]] = json.loads((VECTORS / "rfc8032.json").read_text())["vectors"]
    return vectors


@pytest.mark.micropython
def test_rfc8032_vectors_with_and_without_the_table(micropython: MicroPython) -> None:
    cases = [[v["secret_key"], v["message"], t] for v in _rfc8032() for t in (True, False)]
    got = run_mp(micropython, SIGN, cases)
    for (seed, _message, with_table), (public, signature, verified) in zip(cases, got, strict=True):
        vector = next(v for v in _rfc8032() if v["secret_key"] == seed)
        assert public == vector["public_key"], (vector["name"], with_table)
        assert signature == vector["signature"], (vector["name"], with_table)
        assert verified is True


def _random_cases(n: int) -> list[tuple[bytes, bytes]]:
    rng = random.Random(25519)
    # Message lengths around the SHA-512 block boundaries of both hashes a
    # signature takes (32 + len and 64 + len bytes), then random ones.
    lengths = [0, 1, 47, 48, 79, 80, 111, 112, 175, 176, 207, 208, 1000]
    lengths += [rng.randrange(0, 400) for _ in range(n - len(lengths))]
    return [(rng.randbytes(32), rng.randbytes(length)) for length in lengths]


@pytest.mark.micropython
def test_signatures_are_byte_identical_to_pynacl(micropython: MicroPython) -> None:
    cases = _random_cases(80)
    got = run_mp(micropython, SIGN, [[s.hex(), m.hex(), i % 4 != 3] for i, (s, m) in enumerate(cases)])
    for (seed, message), (public, signature, verified) in zip(cases, got, strict=True):
        key = SigningKey(seed)
        assert public == bytes(key.verify_key).hex(), seed.hex()
        assert signature == key.sign(message).signature.hex(), (seed.hex(), message.hex())
        assert verified is True


@pytest.mark.micropython
def test_verify_accepts_pynacl_and_rejects_forgeries(micropython: MicroPython) -> None:
    rng = random.Random(8032)
    cases: list[tuple[bytes, bytes, bytes, bool]] = []
    expected: list[bool] = []
    for i in range(12):
        key = SigningKey(rng.randbytes(32))
        public = bytes(key.verify_key)
        message = rng.randbytes(rng.randrange(1, 200))
        sig = key.sign(message).signature
        flipped_sig = bytearray(sig)
        flipped_sig[rng.randrange(64)] ^= 1 << rng.randrange(8)
        flipped_msg = bytearray(message)
        flipped_msg[0] ^= 1
        s = int.from_bytes(sig[32:], "little")
        s_plus_l = sig[:32] + (s + L).to_bytes(32, "little")  # malleated: S >= L must be refused
        other = bytes(SigningKey(rng.randbytes(32)).verify_key)
        table = i % 2 == 0
        for pk, msg, signature, ok in (
            (public, message, sig, True),
            (public, message, bytes(flipped_sig), False),
            (public, bytes(flipped_msg), sig, False),
            (public, message, s_plus_l, False),
            (other, message, sig, False),
            (public, message, sig[:63], False),
            (b"\xff" * 32, message, sig, False),  # y >= p: not a canonical point
        ):
            cases.append((pk, msg, signature, table))
            expected.append(ok)
    got = run_mp(micropython, VERIFY, [[a.hex(), b.hex(), c.hex(), t] for a, b, c, t in cases])
    assert got == expected


KEYGEN = """
import os, mptest
from leasechain import ed25519, ed25519_ram, ed25519_verify
seeds = []
for _ in range(3):
    seed, key = ed25519_ram.generate()
    seeds.append([mptest.hx(seed), mptest.hx(key.public_key)])
calls = []
def rng(n):
    calls.append(n)
    return bytes(range(n))
seed, key = ed25519_ram.generate(rng)
errors = []
for bad in (b"", b"x" * 31, b"x" * 33):
    try:
        ed25519.SigningKey(bad)
    except ed25519.Ed25519Error as exc:
        errors.append(str(exc))
try:
    ed25519_ram.generate(lambda n: b"short")
except ed25519.Ed25519Error as exc:
    errors.append(str(exc))
open("short.bin", "wb").write(b"x" * 100)
try:
    ed25519_ram.load_table("short.bin")
except ed25519.Ed25519Error as exc:
    errors.append(str(exc))
for enc in ("ff" * 32, "02" + "00" * 31):
    try:
        ed25519_verify.decode_point(mptest.unhx(enc))
    except ed25519.Ed25519Error as exc:
        errors.append(str(exc))
mptest.out({"random": seeds, "calls": calls, "fixed": mptest.hx(key.public_key), "errors": errors})
"""


@pytest.mark.micropython
def test_key_generation_from_the_rng_and_bad_keys(micropython: MicroPython, tmp_path: Path) -> None:
    got = run_mp(micropython, KEYGEN, flash=tmp_path)
    seeds = [bytes.fromhex(s) for s, _ in got["random"]]
    assert len(set(seeds)) == 3  # drawn from os.urandom, never repeated
    for seed_hex, public in got["random"]:
        assert public == bytes(SigningKey(bytes.fromhex(seed_hex)).verify_key).hex()
    assert got["calls"] == [32]
    assert got["fixed"] == bytes(SigningKey(bytes(range(32))).verify_key).hex()
    errors = got["errors"]
    assert errors[:3] == [f"seed is {n} bytes, expected 32" for n in (0, 31, 33)]
    assert errors[3] == "random source returned 5 bytes, expected 32"
    assert "is 100 bytes, expected 24576" in errors[4]
    assert "not canonical" in errors[5]
    assert "not on the curve" in errors[6]
