"""The simulator's libsodium signer against the firmware's own Ed25519: byte for byte."""

from __future__ import annotations

import hashlib

import pytest

from chain_client.message import verify
from firmware.leasechain import ed25519
from simulator.flash import MemoryFlash
from simulator.machines import MachineModel
from simulator.scenario import Machine
from simulator.signer import NaclSigner


@pytest.mark.parametrize("n", [0, 1, 7])
def test_signatures_match_the_firmware_signer(n: int) -> None:
    seed = hashlib.sha256(b"seed %d" % n).digest()
    ours, theirs = NaclSigner(seed), ed25519.SigningKey(seed)
    assert ours.public_key == theirs.public_key
    for message in (b"", b"abc", bytes(range(256)) * 3):
        assert ours.sign(message) == theirs.sign(message)


def test_a_whole_device_message_is_identical_with_either_signer() -> None:
    from firmware.leasechain.app import Device

    class Clock:
        synced = True

        def time(self) -> int:
            return 1_764_000_000

    seed = hashlib.sha256(b"device").digest()
    messages = []
    for make_key in (NaclSigner, ed25519.SigningKey):
        model = MachineModel(Machine(name="m"), 1, 0)
        model.advance(1_764_000_000)
        device = Device(MemoryFlash(), Clock(), model.sensors, rng=lambda n: seed[:n], make_key=make_key)
        device.start()
        messages.append((bytes(device.birth()), bytes(device.sample())))
    assert messages[0] == messages[1]
    verify(messages[0][1], NaclSigner(seed).public_key)


def test_a_seed_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="31"):
        NaclSigner(bytes(31))
