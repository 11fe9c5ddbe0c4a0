"""The checkpoint's signers on the home page: the log's signature checked in the page, witness
cosignatures (cosignature/v1) named, timed and, with the witness's key, checked (static/note.js)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from nacl.signing import SigningKey
from playwright.sync_api import Browser

from chain_client.tlog import note
from chain_client.tlog.checkpoint import cosign, cosigner
from explorer.signers import signers
from tests.explorer.conftest import Explorer
from tests.simulator.browser import chromium

NOTE_JS = Path(__file__).resolve().parents[2] / "explorer" / "static" / "note.js"
RUNNER = """
const n = require(process.argv[1]);
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(input.cases.map((c) => {
  try { return n.checkNote(c.note, c.vkey, c.witnesses).map((r) => [r.name, r.role, r.ok]); }
  catch (error) { return "error: " + error.message; }
})));
"""
WITNESS = SigningKey(bytes(range(32)))
T = 1_767_225_600


def _cosigned(explorer: Explorer) -> tuple[str, str, str]:
    """The ledger's checkpoint with a witness's cosignature added; the log's vkey; the witness's vkey."""
    checkpoint = httpx.get(explorer.story.backend.url + "/checkpoint").text
    vkey = httpx.get(explorer.story.backend.url + "/v1/info").json()["vkey"]
    parsed = note.parse(checkpoint)
    line = cosign(parsed.text, "witness.example/w1", WITNESS, T)
    signed = replace(parsed, signatures=(*parsed.signatures, line)).encode().decode()
    return signed, vkey, cosigner("witness.example/w1", bytes(WITNESS.verify_key)).vkey()


def test_signers_are_named_with_their_role_and_time(explorer: Explorer) -> None:
    signed, vkey, _ = _cosigned(explorer)
    found = signers(signed, vkey)
    assert [(s.role, s.time) for s in found] == [("log", 0), ("witness", T)]
    assert found[1].name == "witness.example/w1"
    assert found[0].name == note.parse_vkey(vkey).name


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node (scripts/install-system-deps)")
def test_the_page_checks_the_log_signature_and_a_known_witness(explorer: Explorer) -> None:
    signed, vkey, witness = _cosigned(explorer)
    text, lines = signed.split("\n\n", 1)[0], signed.rsplit("\n\n", 1)[1]
    forged_line = lines.splitlines()[1]
    forged_line = forged_line[:-6] + ("AAAAA=" if not forged_line.endswith("AAAAA=") else "BBBBB=")
    cases = [
        {"note": signed, "vkey": vkey, "witnesses": []},
        {"note": signed, "vkey": vkey, "witnesses": [witness]},
        {"note": text.replace("\n", " \n", 1) + "\n\n" + lines, "vkey": vkey, "witnesses": []},
        {
            "note": text + "\n\n" + lines.splitlines()[0] + "\n" + forged_line + "\n",
            "vkey": vkey,
            "witnesses": [witness],
        },
    ]
    out = subprocess.run(
        ["node", "-e", RUNNER, str(NOTE_JS)],
        input=json.dumps({"cases": cases}),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    unknown, known, altered_text, forged = json.loads(out.stdout)
    log_name = note.parse_vkey(vkey).name
    assert unknown == [[log_name, "log", True], ["witness.example/w1", "witness", None]]
    assert known == [[log_name, "log", True], ["witness.example/w1", "witness", True]]
    assert altered_text[0] == [log_name, "log", False]
    assert forged[1] == ["witness.example/w1", "witness", False]


def test_the_home_page_lists_the_signers(explorer: Explorer) -> None:
    html = httpx.get(explorer.url + "/").text
    assert "Checkpoint and witnesses" in html
    assert '<li data-line="0" data-role="log">' in html
    assert "No witness has cosigned this checkpoint yet." in html
    assert '<script src="/static/note.js"></script>' in html


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.mark.browser
def test_the_home_page_verifies_the_log_signature_in_chromium(browser: Browser, explorer: Explorer) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.add_init_script("Object.defineProperty(globalThis, 'crypto', {value: undefined});")
    page.goto(explorer.url + "/")
    page.wait_for_selector('#checkpoint[data-verdict="ok"], #checkpoint[data-verdict="failed"]')
    assert page.get_attribute("#checkpoint", "data-verdict") == "ok"
    assert page.inner_text('#signers li[data-role="log"] .check') == "the log's signature verifies"
    context.close()
