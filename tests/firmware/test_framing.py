"""UART framing (firmware/leasechain/framing.py) against chain_client.uart, under MicroPython."""

from __future__ import annotations

import random

import pytest

from chain_client.uart import decode_frame, encode_frame
from harness.micropython import MicroPython
from tests.firmware.device import run_mp

SCRIPT = """
import mptest
from leasechain import framing
mptest.out([mptest.hx(framing.frame(mptest.unhx(m))) for m in mptest.inp()])
"""


@pytest.mark.micropython
def test_frames_equal_the_host_codec(micropython: MicroPython) -> None:
    rng = random.Random(7)
    # Zero runs and 254-byte blocks are where COBS has its edge cases.
    messages = [
        b"",
        b"\x00",
        b"\x00" * 300,
        bytes(range(1, 255)),
        bytes(range(1, 256)),
        bytes(range(256)) * 4,
    ]
    messages += [rng.randbytes(rng.randrange(1, 1024)) for _ in range(20)]
    got = run_mp(micropython, SCRIPT, [m.hex() for m in messages])
    for message, frame in zip(messages, got, strict=True):
        raw = bytes.fromhex(frame)
        assert raw == encode_frame(message)
        assert raw[-1] == 0
        assert 0 not in raw[:-1]
        if message:  # the gateway refuses empty frames; the device never sends one
            assert decode_frame(raw[:-1]) == message
