"""Token, device, share and review commands through the CLI: the parts of a machine's life the story skips."""

from __future__ import annotations

from nacl.signing import SigningKey

from chain_client.device import device_id
from tests.cli.story import Story


def _mint(story: Story, serial: str) -> str:
    minted = story.cli.ok(
        "token",
        "mint",
        "--serial",
        serial,
        "--model",
        "CNC-5",
        "--price",
        "5000",
        "--salvage-value",
        "500",
        "--shares",
        "10",
        "--share-price",
        "1",
        key="maker",
    )
    return str(minted["result"]["token"])


def test_a_sensor_is_bound_rotated_and_revoked(story: Story) -> None:
    cli = story.cli
    token = _mint(story, "ROT-1")
    first, second = SigningKey.generate(), SigningKey.generate()
    cli.ok("token", "bind-device", token, bytes(first.verify_key).hex(), key="maker")
    again = cli.run("token", "bind-device", token, bytes(second.verify_key).hex(), key="maker")
    assert again.code == 1
    assert "device_already_bound (HTTP 409)" in again.err
    cli.ok("token", "rotate-device", token, bytes(second.verify_key).hex(), key="maker")
    cli.ok("token", "revoke-device", token, "--reason", "sensor damaged", key="maker")
    devices = {d["device"]: d for d in cli.ok("token", "status", token)["devices"]}
    assert devices[device_id(bytes(first.verify_key)).hex()]["status"] == "rotated"
    revoked = devices[device_id(bytes(second.verify_key)).hex()]
    assert (revoked["status"], revoked["reason"]) == ("revoked", "sensor damaged")
    none_left = cli.run("token", "revoke-device", token, "--reason", "twice", key="maker")
    assert none_left.code == 1
    assert "no_active_device" in none_left.err


def test_a_token_moves_status_and_owner(story: Story) -> None:
    cli = story.cli
    token = _mint(story, "MOVE-1")
    cli.ok("token", "status", token, "--set", "in_transit", key="maker")
    assert cli.ok("token", "status", token)["status"] == "in_transit"
    stranger = cli.run("token", "transfer", token, "lessee", key="investor")
    assert stranger.code == 1
    assert "HTTP 403" in stranger.err
    cli.ok("token", "transfer", token, "lessee", key="maker")
    assert cli.ok("token", "status", token)["owner"] == story.accounts["lessee"]
    assert token in {t["id"] for t in cli.ok("token", "list")}


def test_shares_move_between_investors(story: Story) -> None:
    cli = story.cli
    token = _mint(story, "SH-1")
    second = cli.ok("key", "new", "investor-2")["account"]
    cli.ok("enterprise", "register", "--name", "Fund Two", "--role", "investor", key="investor-2")
    cli.ok("enterprise", "approve", "investor-2", key="operator")
    cli.ok("shares", "buy", token, "4", key="investor")
    cli.ok("shares", "transfer", token, "investor-2", "3", key="investor")
    holders = cli.ok("shares", "holders", token)["holders"]
    assert holders == {story.accounts["maker"]: 6, story.accounts["investor"]: 1, second: 3}
    too_many = cli.run("shares", "transfer", token, "investor-2", "2", key="investor")
    assert too_many.code == 1
    assert "not_enough_shares" in too_many.err


def test_a_reviewer_rejects_an_application_with_its_reason(story: Story) -> None:
    cli = story.cli
    applicant = cli.ok("key", "new", "applicant")["account"]
    cli.ok("enterprise", "register", "--name", "Shady Ltd", "--role", "lessee", key="applicant")
    cli.ok("enterprise", "reject", applicant, "--reason", "no trade register entry", key="operator")
    found = cli.ok("enterprise", "show", "applicant")
    assert (found["status"], found["review_reason"]) == ("rejected", "no trade register entry")
    missing = cli.run("enterprise", "reject", "applicant", key="operator")
    assert missing.code == 2
    assert "--reason" in missing.err
    not_reviewer = cli.run("enterprise", "approve", "applicant", key="lessee")
    assert not_reviewer.code == 1
    assert "not_reviewer" in not_reviewer.err
