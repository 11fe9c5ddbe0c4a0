"""``provision``: configuration checked by the board, key made on the board, proof verified on the host."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from nacl.signing import SigningKey, VerifyKey

from firmware.tools.device import provisioning
from firmware.tools.device.errors import (
    ClockNotSetError,
    ConfigError,
    FirmwareError,
    VerificationError,
)
from firmware.tools.device.link import Board
from tests.device_tools.conftest import BoardFactory, CliRunner

pytestmark = pytest.mark.micropython

SITE_FLAGS = (
    "--site",
    "hall-3",
    "--mqtt-host",
    "gw.hall-3.example",
    "--wifi-ssid",
    "plant",
    "--wifi-password",
    "s3cret",
)


def _seed(flash: Path) -> bytes:
    record = (flash / "data" / "key.bin").read_bytes()
    assert record[:4] == b"LCK1"
    assert len(record) == 40
    return record[4:36]


def test_provision_makes_the_key_on_the_board_and_verifies_its_proof(
    make_board: BoardFactory, cli: CliRunner, tmp_path: Path
) -> None:
    board = make_board()
    out = tmp_path / "sensor.json"
    run = cli("provision", "--port", board.port, *SITE_FLAGS, "--out", str(out), "--json")
    assert run.code == 0, run.out
    record = run.json
    assert record["created"] is True
    seed = _seed(board.flash)
    # The key in the board's flash is the one whose public half came back.
    assert bytes(SigningKey(seed).verify_key).hex() == record["public_key"]
    VerifyKey(bytes.fromhex(record["public_key"])).verify(
        provisioning.PROOF_CONTEXT + bytes.fromhex(record["challenge"]), bytes.fromhex(record["signature"])
    )
    assert json.loads(out.read_text())["public_key"] == record["public_key"]
    config = json.loads((board.flash / "config.json").read_text())
    assert config["site"] == "hall-3"
    assert config["mqtt"]["host"] == "gw.hall-3.example"
    # Provisioning again keeps the key (a new key would be a new, unenrolled device) with a new challenge.
    again = cli("provision", "--port", board.port, "--json")
    assert again.code == 0
    assert again.json["created"] is False
    assert again.json["public_key"] == record["public_key"]
    assert again.json["challenge"] != record["challenge"]
    assert _seed(board.flash) == seed


def test_the_seed_never_crosses_the_serial_line(make_board: BoardFactory, cli: CliRunner) -> None:
    board = make_board()
    assert cli("provision", "--port", board.port, *SITE_FLAGS).code == 0
    assert cli("doctor", "--port", board.port, "--broker", "mqtt://127.0.0.1:9").code != 0
    assert cli("provision", "--port", board.port).code == 0
    seed = _seed(board.flash)
    transcript = board.transcript()
    public = bytes(SigningKey(seed).verify_key)
    assert public.hex().encode() in transcript  # the recording works: the public key did cross
    for form in (
        seed,
        seed.hex().encode(),
        seed.hex().upper().encode(),
        base64.b64encode(seed),
        repr(seed).encode(),
    ):
        assert form not in transcript
    # Nor the expanded secret scalar's prefix, in any of those forms.
    for window in (seed[:12], seed[10:22], seed[20:32]):
        assert window.hex().encode() not in transcript
        assert window not in transcript


def test_a_bad_configuration_is_refused_by_the_board_and_nothing_is_written(
    make_board: BoardFactory, cli: CliRunner, tmp_path: Path
) -> None:
    board = make_board()
    assert cli("provision", "--port", board.port, *SITE_FLAGS).code == 0
    before = (board.flash / "config.json").read_text()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"mqtt": {"host": "gw"}, "wifi": {"pasword": "x"}}))
    run = cli("provision", "--port", board.port, "--config", str(bad))
    assert run.code == ConfigError.exit_code
    assert "wifi.pasword" in run.err
    run = cli("provision", "--port", board.port, "--mqtt-host", "gw", "--period", "0")
    assert run.code == ConfigError.exit_code
    assert "period_s must be positive" in run.err
    assert (board.flash / "config.json").read_text() == before
    run = cli("provision", "--port", board.port, "--config", str(tmp_path / "missing.json"))
    assert run.code == ConfigError.exit_code
    assert "missing.json" in run.err


def test_a_board_without_configuration_needs_one(make_board: BoardFactory, cli: CliRunner) -> None:
    board = make_board()
    run = cli("provision", "--port", board.port, "--json")
    assert run.code == ConfigError.exit_code
    assert run.json["error"] == "config"
    assert "--config" in run.json["message"]
    assert not (board.flash / "data" / "key.bin").exists()


def test_proof_checks_catch_a_forged_or_foreign_answer(make_board: BoardFactory, cli: CliRunner) -> None:
    board = make_board()
    assert cli("provision", "--port", board.port, *SITE_FLAGS).code == 0
    with Board(board.port) as link:
        proof = provisioning.prove(link)
        other = SigningKey.generate()
        with pytest.raises(VerificationError, match="not the key"):
            provisioning.prove(link, expected_public_key=bytes(other.verify_key).hex())
        reply = link.firmware("prove", "00" * 32)
        with pytest.raises(VerificationError, match="challenge is 31 bytes"):
            provisioning.prove(link, challenge=b"\x00" * 31)
    assert proof.public_key == reply["public_key"]
    # The host's check itself: a flipped signature bit, a replayed answer, a key that is not the device's.
    challenge = b"\x00" * 32
    tampered = {
        **reply,
        "signature": ("%02x" % (int(reply["signature"][:2], 16) ^ 1)) + reply["signature"][2:],
    }
    with pytest.raises(VerificationError, match="does not verify"):
        provisioning.verify_proof(tampered, challenge)
    with pytest.raises(VerificationError, match="does not verify"):
        provisioning.verify_proof(reply, b"\x01" * 32)  # an old answer to another challenge
    with pytest.raises(VerificationError, match="is not SHA-256"):
        provisioning.verify_proof({**reply, "device": "00" * 16}, challenge)
    assert provisioning.verify_proof(reply, challenge).signature == reply["signature"]


def test_clock_not_set_is_reported_or_set_from_this_computer(
    make_board: BoardFactory, cli: CliRunner
) -> None:
    board = make_board(rtc_unset=True)
    run = cli("provision", "--port", board.port, *SITE_FLAGS, "--no-set-clock", "--json")
    assert run.code == ClockNotSetError.exit_code
    assert "clock is not set" in run.json["message"]
    assert "2000-01-01" in run.json["message"]
    assert not (board.flash / "data" / "key.bin").exists()
    run = cli("provision", "--port", board.port, "--json")
    assert run.code == 0, run.out
    assert abs(run.json["board_time"] - time.time()) < 60


def test_skewed_clock_limits() -> None:
    now = 1_796_000_000
    provisioning.check_clock(now + 299, now)
    with pytest.raises(ClockNotSetError, match=r"\+301 s"):
        provisioning.check_clock(now + 301, now)
    with pytest.raises(ClockNotSetError, match="not set"):
        provisioning.check_clock(12, now)


def test_wrong_or_missing_firmware_is_named(make_board: BoardFactory, cli: CliRunner) -> None:
    bare = make_board(flashed=False, name="bare")
    run = cli("provision", "--port", bare.port, *SITE_FLAGS)
    assert run.code == FirmwareError.exit_code
    assert "no Lease Chain firmware" in run.err
    assert "flash" in run.err
    old = make_board(name="old")
    old.stop()
    init = old.flash / "lib" / "leasechain" / "__init__.py"
    init.write_text(init.read_text().replace('VERSION = "', 'VERSION = "0.0.1-'))
    old.start()
    run = cli("provision", "--port", old.port, *SITE_FLAGS, "--json")
    assert run.code == FirmwareError.exit_code
    assert "0.0.1-" in run.json["message"]


def test_config_overrides_apply_to_the_file(tmp_path: Path) -> None:
    base = tmp_path / "site.json"
    base.write_text(json.dumps({"site": "a", "mqtt": {"host": "gw", "port": 1883}}))
    cfg = provisioning.load_config(base, {"mqtt.port": 8883, "site": "b"})
    assert cfg == {"site": "b", "mqtt": {"host": "gw", "port": 8883}}
    assert provisioning.load_config(None, {}) is None
    base.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="JSON object"):
        provisioning.load_config(base, {})
