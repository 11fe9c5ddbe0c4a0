"""``leasechain audit``: a true bundle verifies offline; each tampering is named by the check that fails."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from chain_client.audit.bundle import MAX_BUNDLE_BYTES
from chain_client.ledger.treehead import sign_tree_head, tree_head_from_json
from tests.cli.runner import Result
from tests.cli.story import Story

Bundle = dict[str, Any]


def verify(story: Story, path: Path) -> Result:
    operator = story.accounts["operator"]
    return story.cli.run(
        "audit", "verify", str(path), "--json", "--url", "http://127.0.0.1:9", "--log-key", operator
    )


def tampered(story: Story, tmp_path: Path, change: Callable[[Bundle], None]) -> dict[str, Any]:
    data = json.loads(story.bundle.read_text())
    change(data)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(data))
    result = verify(story, path)
    assert result.code == 5, result
    report: dict[str, Any] = result.json()
    assert report["ok"] is False
    return report


def failures(report: dict[str, Any], check: str) -> list[dict[str, str]]:
    return [f for f in report["failures"] if f["check"] == check]


def test_a_true_bundle_verifies_offline(story: Story) -> None:
    # the URL points nowhere: verification needs no network
    result = verify(story, story.bundle)
    assert result.code == 0, result
    report = result.json()
    assert report["failures"] == []
    assert report["summary"]["usage_seconds"] == story.invoice["usage_seconds"]
    assert report["summary"]["amount"] == story.invoice["amount"]
    assert report["summary"]["verified"] == 4
    assert all(c["passed"] > 0 for c in report["checks"].values()), report["checks"]
    human = story.cli.run("audit", "verify", str(story.bundle), "--log-key", story.accounts["operator"])
    assert human.code == 0
    assert human.out.strip().endswith("bundle verified")


def test_without_a_log_key_only_consistency_is_claimed_with_its_own_exit_status(story: Story) -> None:
    human = story.cli.run("audit", "verify", str(story.bundle))
    assert human.code == 6, human
    last = human.out.strip().splitlines()[-1]
    assert last.startswith("bundle consistent, NOT verified against a trusted log key")
    assert "not that the log is the operator's" in last
    assert "bundle verified" not in human.out
    scripted = story.cli.run("audit", "verify", str(story.bundle), "--json")
    assert scripted.code == 6
    assert scripted.json()["log_key_checked"] is False
    assert "only the bundle's internal consistency was checked" in scripted.err
    # a failure is a failure, pinned or not
    data = json.loads(story.bundle.read_text())
    data["claims"]["invoice"]["amount"] += 1
    path = story.bundle.parent / "unpinned-tampered.json"
    path.write_text(json.dumps(data))
    assert story.cli.run("audit", "verify", str(path)).code == 5


def test_the_invoice_names_its_evidence_and_the_bundle_proves_it(story: Story, tmp_path: Path) -> None:
    report = verify(story, story.bundle).json()
    assert report["checks"]["evidence"] == {"passed": 1, "failed": 0}
    assert report["summary"]["evidence"] == story.invoice["evidence"]
    assert report["summary"]["evidence_count"] == 3  # four readings: a baseline and three increments

    def drop_the_batch(data: Bundle) -> None:
        data["entries"] = [e for e in data["entries"] if e["index"] != story.batch]
        data["readings"] = []

    report = tampered(story, tmp_path, drop_the_batch)
    [missing] = failures(report, "evidence")
    assert missing["where"].startswith(f"invoice {story.invoice['id']} (log entry ")
    assert "leaves out" in missing["detail"]


def test_the_bundle_holds_only_the_sensors_messages(story: Story) -> None:
    data = json.loads(story.bundle.read_text())
    assert {r["batch"] for r in data["readings"]} == {story.batch}
    assert [r["position"] for r in data["readings"]] == [0, 2, 3, 4]
    assert story.other_batch not in {e["index"] for e in data["entries"]}


def test_a_changed_reading_fails_its_signature(story: Story, tmp_path: Path) -> None:
    def change(data: Bundle) -> None:
        raw = bytearray(bytes.fromhex(data["readings"][1]["message"]))
        raw[-1] ^= 0x01  # inside the signature: still decodes, no longer verifies
        data["readings"][1]["message"] = raw.hex()

    report = tampered(story, tmp_path, change)
    where = f"reading {story.batch}/2"
    assert [f["where"] for f in failures(report, "reading_signature")] == [where]
    assert [f["where"] for f in failures(report, "batch_inclusion")] == [where]


def test_a_dropped_reading_is_missed(story: Story, tmp_path: Path) -> None:
    report = tampered(story, tmp_path, lambda data: data["readings"].pop())
    # the signed evidence names it, and without it the meter gives less than the invoice says
    missing = failures(report, "evidence")
    assert "leaves out" in missing[0]["detail"]
    assert failures(report, "usage")


def test_a_swapped_batch_fails_its_log_inclusion(story: Story, tmp_path: Path) -> None:
    other = story.cli.ok("log", "proof", str(story.other_batch))  # the other batch is genuinely logged
    assert other["verified"] is True
    foreign = story.backend.get(f"/v1/transactions/{story.other_batch}")["entry"]

    def change(data: Bundle) -> None:
        for entry in data["entries"]:
            if entry["index"] == story.batch:
                entry["entry"] = foreign

    report = tampered(story, tmp_path, change)
    assert [f["where"] for f in failures(report, "log_inclusion")] == [f"log entry {story.batch}"]
    assert failures(report, "batch_inclusion")


def test_an_altered_payout_is_named_by_its_line(story: Story, tmp_path: Path) -> None:
    investor, maker = story.accounts["investor"], story.accounts["maker"]

    def change(data: Bundle) -> None:
        for line in data["claims"]["invoice"]["payouts"]:
            if line["account"] == investor:
                line["amount"] -= 1
            if line["account"] == maker:
                line["amount"] += 1  # the sum still matches the amount

    report = tampered(story, tmp_path, change)
    wheres = sorted(f["where"] for f in failures(report, "payouts"))
    invoice = story.invoice["id"]
    assert wheres == sorted(
        [f"invoice {invoice} share line of {investor}", f"invoice {invoice} share line of {maker}"]
    )


def test_an_altered_invoice_amount_is_caught(story: Story, tmp_path: Path) -> None:
    def change(data: Bundle) -> None:
        data["claims"]["invoice"]["amount"] += 100

    report = tampered(story, tmp_path, change)
    assert f"invoice {story.invoice['id']} field 'amount'" in [
        f["where"] for f in failures(report, "invoice")
    ]


def test_a_forged_tree_head_fails_its_signature(story: Story, tmp_path: Path) -> None:
    def change(data: Bundle) -> None:
        root = bytearray(bytes.fromhex(data["tree_head"]["root_hash"]))
        root[0] ^= 0xFF
        data["tree_head"]["root_hash"] = root.hex()

    report = tampered(story, tmp_path, change)
    assert len(failures(report, "tree_head_signature")) == 1


def test_a_tree_head_signed_by_another_key_is_refused(story: Story, tmp_path: Path) -> None:
    forger = SigningKey.generate()

    def change(data: Bundle) -> None:
        head = tree_head_from_json(data["tree_head"])
        forged = sign_tree_head(head.size, head.root, head.time, forger)
        data["tree_head"] = forged.to_json()
        data["log_key"] = forged.public_key.hex()  # even with the forger's key named as the log key

    report = tampered(story, tmp_path, change)
    # the pinned key refuses it, and so does the genesis, which the forger cannot re-sign
    assert [f["where"] for f in failures(report, "log_key")] == ["the bundle's log_key", "log entry 0"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not a readable bundle"),
        ('{"format": "x"}', "is not an audit bundle"),
        ("[" * 200_000 + "]" * 200_000, "is not a readable bundle: JSON nested too deeply"),
        ('{"period": ' + "7" * 100_000 + "}", "is not a readable bundle: Exceeds the limit"),
    ],
    ids=["not json", "another format", "200000 deep", "100000 digits"],
)
def test_an_unreadable_bundle_is_a_clear_error(
    story: Story, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = story.cli.run("audit", "verify", str(path))
    assert result.code == 1
    assert message in result.err
    assert "Traceback" not in result.err


def test_a_huge_bundle_file_is_refused_unread(story: Story, tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as f:
        f.truncate(MAX_BUNDLE_BYTES + 1)  # sparse: nothing is written, nothing must be read
    result = story.cli.run("audit", "verify", str(path), "--log-key", story.accounts["operator"])
    assert result.code == 1
    assert (
        f"is not a readable bundle: {MAX_BUNDLE_BYTES + 1} bytes, the limit is {MAX_BUNDLE_BYTES}"
        in result.err
    )


def test_export_of_an_unknown_lease_or_period(story: Story, tmp_path: Path) -> None:
    out = str(tmp_path / "b.json")
    result = story.cli.run("audit", "export", "--lease", "lease-0000000000000000", "--period", "0", "-o", out)
    assert result.code == 1
    assert "no lease 'lease-0000000000000000'" in result.err
    result = story.cli.run("audit", "export", "--lease", story.lease, "--period", "7", "-o", out)
    assert result.code == 1
    assert "period 7" in result.err


def test_the_auditor_pins_the_log_key(story: Story) -> None:
    trusted = story.cli.run("audit", "verify", str(story.bundle), "--log-key", story.accounts["operator"])
    assert trusted.code == 0
    other = story.cli.run("audit", "verify", str(story.bundle), "--log-key", "33" * 32, "--json")
    assert other.code == 5
    assert [f["where"] for f in failures(other.json(), "log_key")] == ["the bundle's log_key"]


def test_a_claimed_due_date_or_timeliness_is_checked_by_the_ledgers_rule(
    story: Story, tmp_path: Path
) -> None:
    def change(data: Bundle) -> None:
        data["claims"]["invoice"]["due"] += 3600  # a lessee who paid late would like a later due date
        data["claims"]["invoice"]["on_time"] = False

    report = tampered(story, tmp_path, change)
    invoice = story.invoice["id"]
    assert [f["where"] for f in failures(report, "invoice")] == [f"invoice {invoice} field 'due'"]
    [late] = failures(report, "payouts")
    assert late["where"] == f"invoice {invoice} field 'on_time'"
    assert "computed True, claimed False" in late["detail"]
