"""Canonical CBOR of the firmware (firmware/leasechain/cbor.py) against the host codec, under MicroPython."""

from __future__ import annotations

import random
from typing import Any

import pytest

from chain_client import cbor as host_cbor
from harness.micropython import MicroPython
from tests.firmware.device import run_mp

# Values cross to the device as typed JSON: ["i", n], ["b", hex], ["s", text],
# ["l", [...]], ["m", [[key, value], ...]], ["T"], ["F"], ["N"].
SCRIPT = """
import mptest
from leasechain import cbor

def build(v):
    kind = v[0]
    if kind == "i":
        return v[1]
    if kind == "b":
        return mptest.unhx(v[1])
    if kind == "s":
        return v[1]
    if kind == "l":
        return [build(x) for x in v[1]]
    if kind == "m":
        return dict((build(k), build(x)) for k, x in v[1])
    return {"T": True, "F": False, "N": None}[kind]

result = []
for case in mptest.inp():
    try:
        result.append(mptest.hx(cbor.dumps(build(case))))
    except (ValueError, TypeError) as exc:
        result.append("error: " + str(exc))
mptest.out(result)
"""

Typed = list[Any]


def _int(rng: random.Random) -> int:
    bound = rng.choice([24, 256, 65536, 2**32, 2**63])
    return rng.randrange(-bound, bound) if bound <= 2**63 else rng.randrange(bound)


def _value(rng: random.Random, depth: int) -> tuple[Typed, Any]:
    kinds = ["i", "u", "b", "s", "T", "F", "N"] + (["l", "m"] * 2 if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "i":
        n = _int(rng)
        return ["i", n], n
    if kind == "u":
        n = rng.choice([0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1, rng.randrange(2**64)])
        return ["i", n], n
    if kind == "b":
        data = rng.randbytes(rng.choice([0, 1, 23, 24, 255, 256, rng.randrange(40)]))
        return ["b", data.hex()], data
    if kind == "s":
        text = "".join(rng.choice("aZ09 é€😀") for _ in range(rng.randrange(30)))
        return ["s", text], text
    if kind == "l":
        items = [_value(rng, depth + 1) for _ in range(rng.randrange(0, 6))]
        return ["l", [t for t, _ in items]], [v for _, v in items]
    if kind == "m":
        # One key type per map: the host codec (cbor2) orders keys of different
        # major types by length first, the protocol bytewise; within a major type they agree.
        key_kind = rng.choice(["u", "n", "s"])
        keys: dict[Any, Typed] = {}
        for _ in range(rng.randrange(0, 8)):
            if key_kind == "u":
                k: Any = rng.choice([0, 1, 10, 23, 24, 255, 256, 65535, 65536, rng.randrange(2**40)])
            elif key_kind == "n":
                k = -1 - rng.choice([0, 23, 24, 300, rng.randrange(2**40)])
            else:
                k = "".join(rng.choice("abcé") for _ in range(rng.randrange(4)))
            keys[k] = ["i", k] if key_kind != "s" else ["s", k]
        pairs = [(k, t, _value(rng, depth + 1)) for k, t in keys.items()]
        rng.shuffle(pairs)
        return ["m", [[t, v[0]] for _, t, v in pairs]], {k: v[1] for k, _, v in pairs}
    return [kind], {"T": True, "F": False, "N": None}[kind]


@pytest.mark.micropython
def test_random_values_encode_like_the_host_codec(micropython: MicroPython) -> None:
    rng = random.Random(8949)
    cases = [_value(rng, 0) for _ in range(300)]
    got = run_mp(micropython, SCRIPT, [t for t, _ in cases])
    for (typed, value), encoded in zip(cases, got, strict=True):
        assert encoded == host_cbor.dumps(value).hex(), typed


@pytest.mark.micropython
def test_mixed_keys_sort_bytewise_and_bad_values_are_refused(micropython: MicroPython) -> None:
    cases: list[Typed] = [
        ["m", [[k, ["i", 0]] for k in (["s", "a"], ["i", 1000], ["i", -1], ["i", 24])]],
        ["i", 2**64],
        ["i", -(2**63) - 1],
        ["i", -(2**63)],
        ["m", [[["i", 1], ["i", 0]], [["i", 1], ["i", 2]]]],
    ]
    got = run_mp(micropython, SCRIPT, cases)
    # RFC 8949 section 4.2.1: 24 (1818), 1000 (1903e8), -1 (20), "a" (6161).
    assert got[0] == "a4" + "181800" + "1903e800" + "2000" + "616100"
    assert got[1] == f"error: integer {2**64} is above 2**64-1"
    assert got[2] == f"error: integer {-(2**63) - 1} is below -2**63"
    assert got[3] == host_cbor.dumps(-(2**63)).hex()
    # A dict cannot hold a key twice, so the duplicate collapses before encoding: one entry.
    assert got[4] == "a10102"
