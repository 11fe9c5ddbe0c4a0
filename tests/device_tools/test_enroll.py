"""``enroll``: the board's key bound to a token on a real ledger backend, through the SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import nacl.pwhash
import pytest
from nacl.signing import SigningKey

from chain_client.client import Keystore
from firmware.tools.device.errors import LedgerError, OwnerKeyError, TokenNotFoundError, VerificationError
from harness.ports import free_port
from tests.device_tools.conftest import BoardFactory, CliRunner
from tests.gateway.ledger_backend import LedgerBackend, seeded

pytestmark = [pytest.mark.micropython, pytest.mark.slow]

FAST = {"opslimit": nacl.pwhash.argon2id.OPSLIMIT_MIN, "memlimit": nacl.pwhash.argon2id.MEMLIMIT_MIN}


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[LedgerBackend]:
    backend = LedgerBackend(tmp_path / "ledger")
    backend.start()
    try:
        yield backend
    finally:
        backend.kill()


@pytest.fixture
def site(ledger: LedgerBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, SigningKey]:
    """A certified manufacturer with a minted token, its key in a keystore; returns (token, maker key)."""
    maker = seeded("maker")
    ledger.certify(maker, "Maker", "manufacturer")
    minted = ledger.submit(
        maker,
        "mint_token",
        serial="CNC-0042",
        model="CNC-5",
        specs={"spindle": "12kW"},
        price=100_000,
        salvage_value=10_000,
        shares=100,
        share_price=10,
        fee_terms=[],
    )
    keystore = tmp_path / "keystore.json"
    Keystore(keystore).add("maker", maker, "field-pass", **FAST)
    Keystore(keystore).add("stranger", seeded("stranger"), "field-pass", **FAST)
    monkeypatch.setenv("LEASECHAIN_KEYSTORE", str(keystore))
    monkeypatch.setenv("LEASECHAIN_PASSPHRASE", "field-pass")
    monkeypatch.setenv("LEASECHAIN_URL", ledger.url)
    return str(minted["result"]["token"]), maker


def _provision(make_board: BoardFactory, cli: CliRunner, tmp_path: Path) -> tuple[str, Path, dict[str, str]]:
    board = make_board()
    record = tmp_path / "sensor.json"
    run = cli("provision", "--port", board.port, "--mqtt-host", "gw", "--out", str(record))
    assert run.code == 0, run.err
    return board.port, record, json.loads(record.read_text())


def test_enroll_binds_the_boards_key_to_the_token(
    make_board: BoardFactory,
    cli: CliRunner,
    tmp_path: Path,
    ledger: LedgerBackend,
    site: tuple[str, SigningKey],
) -> None:
    token, _ = site
    port, _, record = _provision(make_board, cli, tmp_path)
    # Straight from the board: it proves possession again, then the key is bound.
    run = cli("enroll", "--port", port, "--token", token, "--key", "maker", "--json")
    assert run.code == 0, run.out
    assert run.json["device"] == record["device"]
    assert run.json["status"] == "accepted"
    registry = ledger.get("/v1/devices")["devices"]
    assert [(d["device"], d["public_key"], d["token"], d["status"]) for d in registry] == [
        (record["device"], record["public_key"], token, "active")
    ]
    again = cli("enroll", "--port", port, "--token", token, "--key", "maker", "--json")
    assert again.code == 0
    assert again.json["status"] == "already_bound"
    assert len(ledger.get("/v1/devices")["devices"]) == 1


def test_enroll_from_a_provisioning_record(
    make_board: BoardFactory,
    cli: CliRunner,
    tmp_path: Path,
    ledger: LedgerBackend,
    site: tuple[str, SigningKey],
) -> None:
    token, _ = site
    _, record_file, record = _provision(make_board, cli, tmp_path)
    run = cli("enroll", "--record", str(record_file), "--token", token, "--key", "maker")
    assert run.code == 0, run.err
    assert f"bound to {token}" in run.out
    assert ledger.get(f"/v1/devices/{record['device']}")["token"] == token


def test_enroll_failures_name_the_token_the_owner_and_the_ledger(
    make_board: BoardFactory,
    cli: CliRunner,
    tmp_path: Path,
    ledger: LedgerBackend,
    site: tuple[str, SigningKey],
) -> None:
    token, _ = site
    _, record_file, _ = _provision(make_board, cli, tmp_path)
    run = cli(
        "enroll", "--record", str(record_file), "--token", "tok-0000000000000000", "--key", "maker", "--json"
    )
    assert run.code == TokenNotFoundError.exit_code
    assert run.json["error"] == "token_not_found"
    assert "tok-0000000000000000" in run.json["message"]
    run = cli("enroll", "--record", str(record_file), "--token", token, "--key", "stranger")
    assert run.code == LedgerError.exit_code
    assert "owned by" in run.err
    url = f"http://127.0.0.1:{free_port()}"
    run = cli("enroll", "--record", str(record_file), "--token", token, "--key", "maker", "--ledger", url)
    assert run.code == LedgerError.exit_code
    assert "unreachable" in run.err
    run = cli("enroll", "--record", str(record_file), "--token", token, "--key", "nobody")
    assert run.code == OwnerKeyError.exit_code
    assert "nobody" in run.err
    edited = tmp_path / "edited.json"
    forged = json.loads(record_file.read_text())
    forged["public_key"] = bytes(seeded("someone else").verify_key).hex()
    edited.write_text(json.dumps(forged))
    run = cli("enroll", "--record", str(edited), "--token", token, "--key", "maker")
    assert run.code == VerificationError.exit_code
    assert "SHA-256 of the public key" in run.err
    assert ledger.get("/v1/devices")["devices"] == []


def test_a_key_already_bound_elsewhere_is_refused_with_the_ledgers_reason(
    make_board: BoardFactory,
    cli: CliRunner,
    tmp_path: Path,
    ledger: LedgerBackend,
    site: tuple[str, SigningKey],
) -> None:
    token, maker = site
    _, record_file, record = _provision(make_board, cli, tmp_path)
    other = ledger.enroll(maker, "CNC-0043", bytes.fromhex(record["public_key"]))
    run = cli("enroll", "--record", str(record_file), "--token", token, "--key", "maker")
    assert run.code == LedgerError.exit_code
    assert "device_in_use" in run.err
    assert other != token


def test_doctor_says_whether_the_device_is_enrolled(
    make_board: BoardFactory,
    cli: CliRunner,
    tmp_path: Path,
    ledger: LedgerBackend,
    site: tuple[str, SigningKey],
) -> None:
    token, _ = site
    port, _, record = _provision(make_board, cli, tmp_path)

    def ledger_check() -> dict[str, object]:
        run = cli("doctor", "--port", port, "--broker", "mqtt://127.0.0.1:1", "--json")
        checks = run.json["checks"] if run.code == 0 else json.loads(run.out)["checks"]
        return next(c for c in checks if c["check"] == "ledger")

    before = ledger_check()
    assert before["status"] == "fail"
    assert before["detail"] == f"device {record['device']} is not enrolled on {ledger.url}: run enroll"
    assert cli("enroll", "--port", port, "--token", token, "--key", "maker").code == 0
    after = ledger_check()
    assert after["status"] == "ok"
    assert str(after["detail"]).startswith(f"device {record['device']} bound to {token} since ")
