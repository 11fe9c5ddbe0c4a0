"""Device identity (firmware/leasechain/identity.py) under MicroPython: first-boot key, damage."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import mptest
from leasechain import identity
from leasechain.store import FileStore
store = FileStore("data")
key, created = identity.load_or_create(store)
out = {"created": created, "public_key": mptest.hx(key.public_key),
       "device_id": identity.device_hex(identity.device_id(key.public_key))}
mptest.out(out)
"""

BAD = """
import mptest
from leasechain import identity
from leasechain.store import FileStore
out = []
for name, content in mptest.inp():
    store = FileStore(name)
    if content is not None:
        store.write(identity.KEY_FILE, mptest.unhx(content))
        try:
            identity.load_or_create(store)
            out.append("loaded")
        except identity.IdentityError as exc:
            out.append(str(exc))
for rng in (lambda n: bytes(n), lambda n: b"\\x01\\x02" * (n // 2), lambda n: b"x" * 16):
    store = FileStore("rng")
    try:
        identity.load_or_create(store, rng)
        out.append("created")
    except identity.IdentityError as exc:
        out.append(str(exc))
    out.append(store.read(identity.KEY_FILE) is None)
mptest.out(out)
"""


@pytest.mark.micropython
def test_key_is_created_once_and_kept(micropython: MicroPython, tmp_path: Path) -> None:
    first = run_mp(micropython, SCRIPT, flash=tmp_path)
    second = run_mp(micropython, SCRIPT, flash=tmp_path)
    assert first["created"] is True
    assert second["created"] is False
    assert second["public_key"] == first["public_key"]
    record = (tmp_path / "data" / "key.bin").read_bytes()
    assert record[:4] == b"LCK1"
    assert len(record) == 40
    seed = record[4:36]
    assert record[36:] == hashlib.sha256(b"LCK1" + seed).digest()[:4]
    public = bytes(SigningKey(seed).verify_key)
    assert first["public_key"] == public.hex()
    assert first["device_id"] == hashlib.sha256(public).hexdigest()[:32]
    assert not list((tmp_path / "data").glob("*.tmp"))


@pytest.mark.micropython
def test_damaged_key_file_or_bad_rng_stops_the_device(micropython: MicroPython) -> None:
    seed = bytes(range(32))
    good = b"LCK1" + seed + hashlib.sha256(b"LCK1" + seed).digest()[:4]
    flipped = bytearray(good)
    flipped[10] ^= 1
    cases = [
        ["good", good.hex()],
        ["short", good[:39].hex()],
        ["magic", (b"LCK2" + good[4:]).hex()],
        ["flipped", bytes(flipped).hex()],
    ]
    got = run_mp(micropython, BAD, cases)
    assert got[0] == "loaded"
    assert got[1] == "key file is 39 bytes or has the wrong magic; expected a 40-byte LCK1 record"
    assert got[2] == "key file is 40 bytes or has the wrong magic; expected a 40-byte LCK1 record"
    assert got[3] == "key file fails its checksum"
    # A stuck RNG (all zeros, two values) or a short read never becomes a key, and nothing is written.
    assert got[4:] == [
        "random source gave 32 bytes with 1 distinct values",
        True,
        "random source gave 32 bytes with 2 distinct values",
        True,
        "random source gave 16 bytes with 1 distinct values",
        True,
    ]
