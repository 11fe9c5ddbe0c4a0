"""Reading the update status a board published: hostile payloads are shown as such, never trusted."""

from __future__ import annotations

from gateway import update_status
from gateway.update_status import DeviceUpdate, Updates

DEVICE = "00112233445566778899aabbccddeeff"
TOPIC = f"leasechain/v1/dev/{DEVICE}/update"


def test_a_status_is_read_field_by_field() -> None:
    found = update_status.parse(TOPIC, b'{"running": "1.1.0", "state": "trial", "boot": 2, "extra": [1]}')
    assert found == DeviceUpdate(DEVICE, running="1.1.0", state="trial", boot=2)
    assert update_status.summary(found) == "runs 1.1.0, trial boot 2"


def test_malformed_oversized_and_mistyped_statuses_are_named_not_trusted() -> None:
    assert update_status.parse(TOPIC, b"x" * 2000) == DeviceUpdate(
        DEVICE, problem="2000 bytes, more than 1024"
    )
    assert update_status.parse(TOPIC, b"[1, 2]") == DeviceUpdate(
        DEVICE, problem="JSON list, expected an object"
    )
    assert update_status.parse(TOPIC, b"{") == DeviceUpdate(DEVICE, problem="not UTF-8 JSON")
    # Fields of the wrong type are left out rather than shown as something they are not.
    assert update_status.parse(TOPIC, b'{"running": 7, "state": "idle", "boot": true}') == DeviceUpdate(
        DEVICE, state="idle"
    )


def test_topics_that_are_not_a_devices_update_topic_are_ignored() -> None:
    for topic in (f"leasechain/v1/dev/{DEVICE}/status", "leasechain/v1/dev/xyz/update", "other/update"):
        assert update_status.parse(topic, b"{}") is None


def test_the_section_names_each_device_or_why_none_was_read() -> None:
    assert update_status.render(Updates({}, "127.0.0.1:1883: no CONNACK")) == (
        "updates          not read: 127.0.0.1:1883: no CONNACK"
    )
    text = update_status.render(
        Updates({DEVICE: DeviceUpdate(DEVICE, "1.0.0", "refused", "downgrade", "0.9.0")})
    )
    assert text.splitlines() == [
        "updates          1 devices",
        f"  {DEVICE}  runs 1.0.0, refused 0.9.0 (downgrade)",
    ]
