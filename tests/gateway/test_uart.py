"""Serial ingestion through a pseudo-terminal pair standing in for a wired sensor's UART."""

from __future__ import annotations

import os
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain_client.uart import encode_frame
from tests.gateway.helpers import (
    GatewayProcess,
    Sensor,
    quarantine_reasons,
    stored_raws,
    wait_until,
    write_config,
    write_registry,
)


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    """(sensor end file descriptor, gateway end device path)."""
    sensor_end, gateway_end = os.openpty()
    # A UART carries bytes as they are; a fresh pty starts in cooked mode (echo, CR/LF
    # translation) until pyserial opens it, so make it raw before any byte is written.
    tty.setraw(gateway_end)
    tty.setraw(sensor_end)
    try:
        yield sensor_end, os.ttyname(gateway_end)
    finally:
        os.close(sensor_end)
        os.close(gateway_end)


def test_frames_over_a_serial_line_are_verified_and_bad_frames_quarantined(
    pty_pair: tuple[int, str], tmp_path: Path
) -> None:
    sensor_end, device = pty_pair
    sensor = Sensor.make(42)
    registry = write_registry(tmp_path / "r.json", [sensor])
    config = write_config(
        tmp_path,
        f"""
[gateway]
id = "serial-gw"
state_directory = "{tmp_path / "state"}"
[mqtt]
enabled = false
[[serial.ports]]
path = "{device}"
baudrate = 115200
[registry]
file = "{registry}"
[metrics]
enabled = false
""",
    )
    gateway = GatewayProcess(config, tmp_path)
    gateway.start()
    try:
        readings = [sensor.reading() for _ in range(20)]
        frames = [encode_frame(r) for r in readings]
        bad_crc = bytearray(encode_frame(Sensor(sensor.key, seq=99).reading()))
        bad_crc[40] ^= 0x40  # one bit flipped on the line (never to 0x00, which would split the frame)
        assert bad_crc[40] != 0
        stream = b"".join(frames[:10])
        stream += b"\x00\x00" + bytes(bad_crc)  # resync delimiters, then a corrupted frame
        stream += b"\x05\x01\x02\x00"  # a COBS block that runs past the frame end
        stream += b"".join(frames[10:])
        # Dribble the stream in odd-sized pieces, as a UART delivers it.
        for start in range(0, len(stream), 37):
            os.write(sensor_end, stream[start : start + 37])
        state = tmp_path / "state"
        wait_until(lambda: len(stored_raws(state)) == 20, what="20 readings from the serial line")
        assert stored_raws(state) == readings
        wait_until(lambda: len(quarantine_reasons(state)) == 2, what="2 bad frames quarantined")
        assert quarantine_reasons(state) == ["bad_checksum", "bad_frame"]
        assert gateway.terminate() == 0
    finally:
        gateway.kill()
