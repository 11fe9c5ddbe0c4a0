"""SHA-512 of the firmware (firmware/leasechain/sha512.py) against hashlib, under MicroPython."""

from __future__ import annotations

import hashlib
import random

import pytest

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import mptest
from leasechain.sha512 import sha512
mptest.out([mptest.hx(sha512(mptest.unhx(m))) for m in mptest.inp()])
"""


def _messages() -> list[bytes]:
    rng = random.Random(180_4)
    # Every length around the one- and two-block padding boundaries (111/112, 239/240),
    # then random lengths and contents up to several blocks.
    fixed = [bytes(rng.randrange(256) for _ in range(n)) for n in range(0, 260)]
    extra = [bytes(rng.randrange(256) for _ in range(rng.randrange(260, 1200))) for _ in range(20)]
    return [b"", b"abc", b"\x00" * 128, b"\xff" * 256, *fixed, *extra]


@pytest.mark.micropython
def test_sha512_matches_hashlib(micropython: MicroPython) -> None:
    messages = _messages()
    got = run_mp(micropython, SCRIPT, [m.hex() for m in messages])
    assert got == [hashlib.sha512(m).hexdigest() for m in messages]


@pytest.mark.micropython
def test_sha512_of_the_fips_examples(micropython: MicroPython) -> None:
    abc = (
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
    )
    two_block = b"".join(bytes(range(97 + i, 105 + i)) for i in range(14))  # "abcdefgh" ... "nopqrstu"
    got = run_mp(micropython, SCRIPT, [b"abc".hex(), two_block.hex()])
    assert got[0] == abc
    assert got[1] == (
        "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
        "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
    )


PARTS_SCRIPT = """
import mptest
from leasechain.streamed import sha512_parts
out = []
for case in mptest.inp():
    out.append(mptest.hx(sha512_parts([mptest.unhx(p) for p in case])))
mptest.out(out)
"""


@pytest.mark.micropython
def test_sha512_of_parts_matches_hashlib_of_their_concatenation(micropython: MicroPython) -> None:
    rng = random.Random(512)
    # Parts that end inside, on and across block boundaries, empty parts, and one long part.
    cases = [
        [bytes(rng.randrange(256) for _ in range(n)) for n in sizes]
        for sizes in (
            (32, 32, 0),
            (32, 32, 3700),
            (127, 1),
            (128, 128),
            (1, 127, 129),
            (0,),
            (300, 5, 250, 111),
        )
    ]
    got = run_mp(micropython, PARTS_SCRIPT, [[p.hex() for p in case] for case in cases])
    assert got == [hashlib.sha512(b"".join(case)).hexdigest() for case in cases]
