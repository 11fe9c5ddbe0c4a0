"""Fault plans are a function of the seed; hostile messages fail exactly where they should."""

from __future__ import annotations

from typing import Any

import pytest

from chain_client.errors import ProtocolError
from chain_client.message import decode, verify
from chain_client.payload import Reading
from chain_client.reasons import Reason
from simulator import faults
from simulator.device import signer_for
from simulator.scenario import parse
from simulator.signer import NaclSigner

HOSTILE: dict[str, Any] = {
    "run": {"seed": 9, "devices": 50, "rate": 1, "duration_seconds": 40},
    "faults": {
        "forged_signatures": 0.05,
        "duplicates": 0.05,
        "offline": {"devices": 0.2, "readings": 5},
        "clock_skew": {"devices": 0.1, "seconds": 999},
        "wrong_key_devices": 2,
        "revoked_devices": 3,
    },
}


def test_same_seed_same_plan_other_seed_other_plan() -> None:
    a, b = faults.plan(parse(HOSTILE)), faults.plan(parse(HOSTILE))
    assert a == b
    other = dict(HOSTILE, run=dict(HOSTILE["run"], seed=10))
    assert faults.plan(parse(other)) != a
    roles = [p.role for p in a]
    assert roles.count(faults.WRONG_KEY) == 2
    assert roles.count(faults.REVOKED) == 3
    assert any(p.offline for p in a)
    assert any(p.skew == 999 for p in a)
    assert sum(len(p.actions) for p in a) > 0


def _reading(signer: NaclSigner, seq: int = 0) -> bytes:
    from firmware.leasechain import cose, payload
    from firmware.leasechain.identity import device_id

    kid = device_id(signer.public_key)
    body = payload.reading(kid, 1, seq, 1_764_000_000, True, {1: 2100}, 60, 2, bytes(32), 0)
    return bytes(cose.sign1(body, signer, kid))


def test_hostile_messages_fail_with_the_reason_the_plan_predicts() -> None:
    key = signer_for(9, 0)
    genuine = _reading(key)
    verify(genuine, key.public_key)
    with pytest.raises(ProtocolError) as forged:
        verify(faults.forged(genuine), key.public_key)
    assert forged.value.reason is Reason.BAD_SIGNATURE
    kid = decode(genuine).device_id
    with pytest.raises(ProtocolError) as impostor:
        verify(faults.impostor(genuine, NaclSigner(bytes(range(32))), kid, 99), key.public_key)
    assert impostor.value.reason is Reason.BAD_SIGNATURE
    clone = faults.clone(genuine, key, kid)
    body, cloned = decode(genuine).body, verify(clone, key.public_key).body
    assert isinstance(body, Reading)
    assert isinstance(cloned, Reading)
    assert (body.boot, body.seq) == (cloned.boot, cloned.seq)
    assert clone != genuine
    assert len(faults.oversized(genuine)) > 1024
    with pytest.raises(ProtocolError):
        decode(faults.malformed(genuine))
