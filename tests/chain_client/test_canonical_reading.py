"""canonical_reading accepts only what the general decoder accepts, with the same values."""

from __future__ import annotations

import hashlib
from typing import Any

import cbor2
import pytest
from nacl.signing import SigningKey

from chain_client import cose, message
from chain_client.canonical_reading import CanonicalReading, canonical_reading
from chain_client.device import device_id
from chain_client.errors import ProtocolError
from chain_client.payload import MAX_I64, MAX_U32, MAX_U64, MIN_I64, Birth, Reading

KEY = SigningKey(hashlib.sha256(b"canonical sensor").digest())
KID = device_id(bytes(KEY.verify_key))


def _signed(**over: Any) -> bytes:
    fields: dict[str, Any] = {
        "device_id": KID,
        "boot": 3,
        "seq": 7,
        "time": 1_780_000_000,
        "time_synced": True,
        "readings": {1: 2150, 6: 1},
        "run_seconds": 7200,
        "cycles": 9,
    }
    return message.sign(Reading(**{**fields, **over}), KEY)


def _assembled(payload: dict[Any, Any] | bytes, kid: bytes = KID) -> bytes:
    """A message around any payload map (its signature is not checked by either reader)."""
    body = payload if isinstance(payload, bytes) else cbor2.dumps(payload)
    return cose.assemble(cose.protected_header(kid), body, bytes(range(64)))


def _map(**over: Any) -> dict[Any, Any]:
    base: dict[Any, Any] = {
        0: 1,
        1: 1,
        2: KID,
        3: 3,
        4: 7,
        5: 1_780_000_000,
        6: True,
        7: {1: 2150, 6: 1},
        8: {1: 7200, 2: 9},
        9: bytes(32),
        10: 0,
    }
    base.update({int(k[1:]): v for k, v in over.items()})
    return base


def _decoded(raw: bytes) -> CanonicalReading | None:
    """What the general decoder makes of ``raw``, in canonical_reading's terms (None: not a reading)."""
    try:
        m = message.decode(raw)
    except ProtocolError:
        return None
    body = m.body
    if not isinstance(body, Reading):
        return None
    return CanonicalReading(
        m.device_id,
        m.envelope.signature,
        m.envelope.to_be_signed(),
        body.boot,
        body.seq,
        body.time,
        body.time_synced,
        body.run_seconds,
    )


def _agrees(raw: bytes) -> CanonicalReading | None:
    fast = canonical_reading(raw)
    if fast is not None:
        assert fast == _decoded(raw), raw.hex()
    return fast


VALID = [
    _signed(),
    _signed(readings={}),
    _signed(readings={k: -k for k in range(1, 33)}),
    _signed(readings={0xFFFF: MAX_I64, 2: MIN_I64}),
    _signed(boot=MAX_U32, seq=MAX_U32, time=MAX_U64, run_seconds=MAX_U64, cycles=MAX_U64, dropped=MAX_U32),
    _signed(boot=0, seq=0, time=0, time_synced=False, run_seconds=0, cycles=0, prev=bytes(range(32))),
]


@pytest.mark.parametrize("raw", VALID)
def test_a_conforming_reading_is_read_with_the_decoders_values(raw: bytes) -> None:
    assert _agrees(raw) is not None


@pytest.mark.parametrize(
    "payload",
    [
        _map(k4=MAX_U32 + 1),
        _map(k3=-1),
        _map(k5=1.5),
        _map(k6=1),
        _map(k0=2),
        _map(k1=2),
        _map(k1=True),
        _map(k2=bytes(16)),
        _map(k2=KID + b"\0"),
        _map(k7={0: 1}),
        _map(k7={0x10000: 1}),
        _map(k7={1: MAX_I64 + 1}),
        _map(k7={1: True}),
        _map(k7={6: 1, 1: 2}),
        _map(k7={k: 0 for k in range(1, 34)}),
        _map(k7=[]),
        _map(k8={2: 9, 1: 7200}),
        _map(k8={1: 7200}),
        _map(k8={1: -1, 2: 0}),
        _map(k8={1: 0, 2: 0, 3: 0}),
        _map(k9=bytes(31)),
        _map(k9="0" * 32),
        _map(k10=MAX_U32 + 1),
        {**_map(), 11: 0},
        {1: 1, 0: 1},
        {k: v for k, v in _map().items() if k != 10},
        {(True if k == 1 else k): v for k, v in _map().items()},
        cbor2.dumps(_map())[:-1],
        b"\x58\x20" + bytes(32),
        cbor2.dumps(_map()).replace(b"\x04\x07", b"\x04\x18\x07", 1),  # seq 7 with a longer head
    ],
)
def test_what_the_decoder_refuses_is_left_to_the_decoder(payload: dict[Any, Any] | bytes) -> None:
    raw = _assembled(payload)
    assert _decoded(raw) is None
    assert canonical_reading(raw) is None


def test_a_non_shortest_head_and_other_layouts_take_the_general_path() -> None:
    payload = cbor2.dumps(_map())
    long_head = cose.assemble(cose.protected_header(KID), payload, bytes(64))
    assert canonical_reading(long_head) is not None  # the canonical layout itself
    stretched = long_head.replace(b"\x58" + bytes([len(payload)]), b"\x59\x00" + bytes([len(payload)]), 1)
    assert canonical_reading(stretched) is None
    birth = Birth(KID, boot=1, time=5, time_synced=True, firmware="1.0", public_key=bytes(KEY.verify_key))
    assert canonical_reading(message.sign(birth, KEY)) is None
    assert canonical_reading(_assembled(_map(), kid=bytes(16))) is None  # kid is not the payload's device
    assert canonical_reading(bytearray(VALID[0])) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", VALID[:3])
def test_every_corruption_of_a_reading_is_refused_or_read_as_the_decoder_reads_it(raw: bytes) -> None:
    for position in range(len(raw)):
        for mask in (0x01, 0x02, 0x10, 0x20, 0x80, 0xFF):
            _agrees(raw[:position] + bytes([raw[position] ^ mask]) + raw[position + 1 :])
        _agrees(raw[:position])
        _agrees(raw[:position] + raw[position + 1 :])
    _agrees(raw + b"\0")
