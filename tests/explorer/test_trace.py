""" "Trace this payout": the page's own check (static/trace.js) passes on the story's invoice and
fails, at the step that names it, on each link of the chain altered; in node and in Chromium."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Route

from tests.explorer.conftest import Explorer
from tests.simulator.browser import chromium

TRACE_JS = Path(__file__).resolve().parents[2] / "explorer" / "static" / "trace.js"
RUNNER = """
const t = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(input.traces.map((trace) => t.checkTrace(trace, input.key))));
"""


def _flip(hex_text: str, at: int) -> str:
    """``hex_text`` with the byte at ``at`` (negative: from the end) changed."""
    raw = bytearray(bytes.fromhex(hex_text))
    raw[at] ^= 0x01
    return raw.hex()


def _forged_signature(t: dict[str, Any]) -> None:
    batch, position, _ = t["evidence"][0]
    messages = t["batches"][str(batch)]["messages"]
    messages[position] = _flip(messages[position], -1)


def _other_increment(t: dict[str, Any]) -> None:
    t["evidence"][0][2] += 60


def _other_key(t: dict[str, Any]) -> None:
    device = next(iter(t["devices"]))
    t["devices"][device] = _flip(t["devices"][device], 0)


def _other_path(t: dict[str, Any]) -> None:
    proof = next(iter(t["batches"].values()))["proof"]
    proof["audit_path"][0] = _flip(proof["audit_path"][0], 0)


def _other_payout(t: dict[str, Any]) -> None:
    t["invoice"]["payouts"][0]["amount"] += 1


# Each alteration, and the checks that must then fail (others may fail too).
TAMPERS: dict[str, tuple[Callable[[dict[str, Any]], None], set[str]]] = {
    "a forged reading signature": (_forged_signature, {"readings", "batch"}),
    "an increment changed": (_other_increment, {"usage", "evidence"}),
    "a sensor key swapped": (_other_key, {"readings"}),
    "a batch's audit path changed": (_other_path, {"log"}),
    "a payout line changed": (_other_payout, {"invoice"}),
}


@pytest.fixture(scope="module")
def trace(explorer: Explorer) -> dict[str, Any]:
    period = explorer.story.invoice["period"]
    answer = httpx.get(f"{explorer.url}/lease/{explorer.story.lease}/trace/{period}.json")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    assert found["evidence"], "the story's invoice rests on readings"
    return found


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node (scripts/install-system-deps)")
def test_the_trace_verifies_and_each_altered_link_fails_at_its_step(trace: dict[str, Any]) -> None:
    traces = [trace]
    for alter, _ in TAMPERS.values():
        altered = copy.deepcopy(trace)
        alter(altered)
        traces.append(altered)
    out = subprocess.run(
        ["node", "-e", RUNNER, str(TRACE_JS)],
        input=json.dumps({"traces": traces, "key": trace["log_key"]}),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    results = json.loads(out.stdout)
    good = results[0]
    assert good["ok"], good
    checks = [s["check"] for s in good["steps"]]
    assert checks[:4] == ["invoice", "usage", "evidence", "readings"]
    assert checks.count("batch") == checks.count("log") == len(trace["batches"])
    for (name, (_, must_fail)), result in zip(TAMPERS.items(), results[1:], strict=True):
        failed = {s["check"] for s in result["steps"] if not s["ok"]}
        assert not result["ok"], name
        assert must_fail <= failed, (name, failed)


def _lying(alter: Callable[[dict[str, Any]], None]) -> Callable[[Route], None]:
    """A route handler that alters the trace the explorer serves before the page reads it."""

    def lie(route: Route) -> None:
        answer = route.fetch()
        body = answer.json()
        alter(body)
        route.fulfill(response=answer, body=json.dumps(body))

    return lie


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.mark.browser
def test_the_lease_page_checks_the_payout_and_shows_a_tampered_one_failed(
    browser: Browser, explorer: Explorer
) -> None:
    period = explorer.story.invoice["period"]
    sent: list[str] = []
    for tamper in (None, _forged_signature):
        context = browser.new_context(viewport={"width": 1000, "height": 800})
        context.on("request", lambda request: sent.append(request.url))
        page = context.new_page()
        page.add_init_script("Object.defineProperty(globalThis, 'crypto', {value: undefined});")
        if tamper is not None:
            page.route("**/trace/*.json", _lying(tamper))
        page.goto(f"{explorer.url}/lease/{explorer.story.lease}")
        section = page.locator(f"#trace-{period}")
        section.get_by_role("button", name="Check this payout").click()
        page.wait_for_selector(f'#trace-{period}[data-verdict="ok"], #trace-{period}[data-verdict="failed"]')
        verdict = section.locator(".verdict").inner_text()
        if tamper is None:
            assert section.get_attribute("data-verdict") == "ok", verdict
            assert verdict.startswith("Verified in your browser")
            assert section.locator(".steps li.failed").count() == 0
        else:
            assert section.get_attribute("data-verdict") == "failed", verdict
            assert verdict.startswith("FAILED: the reading at batch")
            assert section.locator('.steps li.failed[data-check="readings"]').count() == 1
        assert all(url.startswith(explorer.url + "/") for url in sent), sent
        context.close()
