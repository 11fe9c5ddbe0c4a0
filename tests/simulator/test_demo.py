"""``leasechain-sim demo`` end to end: the story plays, the report and the audit bundles come out."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from chain_client.audit import load, verify_bundle
from tests.simulator.browser import chromium, layout_problems

pytestmark = [pytest.mark.mosquitto, pytest.mark.slow]


@pytest.mark.browser
def test_the_demo_plays_the_whole_story(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    # --keep: the ledger and the explorer stay up after the story, until Ctrl-C.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "demo",
            "--output",
            str(out),
            "--devices",
            "9",
            "--seconds",
            "12",
            "--keep",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("kept up until Ctrl-C"):
            break
    explorer = re.search(r"explorer on (http://127\.0\.0\.1:\d+)/", "".join(lines))
    assert explorer is not None, "".join(lines)
    with urllib.request.urlopen(explorer.group(1) + "/search?q=sim-42-000000", timeout=30) as answer:
        machine = answer.read().decode()
    assert "/machine/tok-" in answer.url
    assert "Bolt Fabrication" in machine  # the lessee, by name
    process.send_signal(signal.SIGINT)
    rest, errors = process.communicate(timeout=60)
    done = subprocess.CompletedProcess(process.args, process.returncode, "".join(lines) + rest, errors)
    assert done.returncode == 0, done.stdout + done.stderr
    for step in (
        "certified Acme Machines",
        "signed 9 leases",
        "invoices issued and paid",
        "verified them offline",
        "Bolt Fabrication posted a request for a cnc-mill",
        "Bolt Fabrication signed: request req-",
        "Precise Inspection delivered a signed inspection report",
    ):
        assert step in done.stdout
    # the summary's money is in the ledger's currency, with its decimals
    assert re.search(r"paid by Bolt Fabrication\s+[\d,]+\.\d\d EUR", done.stdout), done.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["machines"] == 9
    market = summary["market"]  # the first machine was leased through the marketplace, then inspected
    assert (market["request"][:4], market["listing"][:5], market["rating"]) == ("req-", "list-", 5)
    assert summary["readings_verified"] == 9 * 24  # 2 readings per second for 12 s
    assert summary["audit_verified"] == summary["audit_bundles"] == 18  # every period of every lease
    assert summary["paid"] == {"Bolt Fabrication": summary["rent_paid"]}
    assert sum(summary["received"].values()) == summary["rent_paid"]
    # two leasechain-witness processes co-signed the checkpoint the bundles' tlog-proofs lead to
    assert summary["witnesses"] == ["alpha.witness.invalid/w1", "beta.witness.invalid/w2"]
    assert "co-signed by alpha.witness.invalid/w1, beta.witness.invalid/w2" in done.stdout
    html = (out / "report.html").read_text()
    assert "alpha.witness.invalid/w1, beta.witness.invalid/w2 co-signed the checkpoint" in html
    assert html.count("<svg") == 4
    assert "Rent received per party" in html
    assert "sim-42-000000 (cnc-mill)" in html  # machines by serial
    bundles = sorted((out / "audit").glob("*.json"))
    assert len(bundles) == 18
    links = re.findall(r'<a href="(audit/[^"]+)">', html)
    assert sorted(out / link for link in links) == bundles
    with chromium() as browser:
        assert layout_problems(browser, out / "report.html") == []
    assert all(verify_bundle(load(path)).ok for path in bundles)
    cli = subprocess.run(
        [sys.executable, "-m", "chain_client.cli", "audit", "verify", str(bundles[0])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # without --log-key the CLI vouches only for the bundle's internal consistency (exit 6)
    assert cli.returncode == 6, cli.stdout + cli.stderr
    assert "only the bundle's internal consistency was checked" in cli.stdout


def test_ctrl_c_stops_the_demo_and_everything_it_started(tmp_path: Path) -> None:
    import time

    import psutil

    demo = subprocess.Popen(
        [sys.executable, "-u", "-m", "simulator", "demo", "--output", str(tmp_path), "--seconds", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert demo.stdout is not None
    for line in demo.stdout:
        if line.startswith("streaming"):
            break
    time.sleep(2)
    children = psutil.Process(demo.pid).children(recursive=True)
    assert len(children) >= 3  # backend, broker, gateway (and their workers)
    demo.send_signal(signal.SIGINT)
    assert demo.wait(timeout=60) == 130
    _, err = demo.communicate()
    assert "interrupted" in err
    _, alive = psutil.wait_procs(children, timeout=5)
    assert not alive, alive
