"""The rotated-key rule the gateway, the ledger and the auditor share."""

from __future__ import annotations

import pytest

from chain_client.ledger.rotation import signed_before_rotation
from chain_client.payload import Birth, Reading

ROTATED_AT = 1_714_564_800
DEVICE = bytes(16)


@pytest.mark.parametrize(
    ("time", "synced", "vouches"),
    [
        (ROTATED_AT - 1, True, True),  # provably signed before the rotation
        (ROTATED_AT, True, False),  # at the rotation: not before it
        (ROTATED_AT + 60, True, False),
        (ROTATED_AT - 3600, False, False),  # an unsynchronised clock proves nothing
    ],
    ids=["a second before", "at the rotation", "after", "unsynchronised"],
)
def test_a_rotated_key_vouches_only_for_what_it_provably_signed_before(
    time: int, synced: bool, vouches: bool
) -> None:
    reading = Reading(DEVICE, boot=1, seq=0, time=time, time_synced=synced)
    birth = Birth(DEVICE, boot=1, time=time, time_synced=synced, firmware="1.0.0", public_key=bytes(32))
    assert signed_before_rotation(reading, ROTATED_AT) is vouches
    assert signed_before_rotation(birth, ROTATED_AT) is vouches
