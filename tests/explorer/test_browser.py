"""The explorer in a real browser (Debian's Chromium via Playwright): the proof checked in the page,
a tampered proof shown as failed, search and navigation by keyboard, the 400 px layout, and no
request leaving the explorer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nacl.signing import SigningKey
from playwright.sync_api import Browser, Page, Route

from tests.explorer.conftest import Explorer
from tests.simulator.browser import chromium, layout_problems

pytestmark = pytest.mark.browser

# A page on plain http on a LAN has no WebCrypto (secure contexts only); take it away here too,
# so the check can only pass on the page's own code.
NO_WEBCRYPTO = "Object.defineProperty(globalThis, 'crypto', {value: undefined, configurable: false});"
DONE = '#proof[data-verdict="ok"], #proof[data-verdict="failed"]'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as found:
        yield found


@pytest.fixture
def requests() -> list[str]:
    return []


def open_page(
    browser: Browser,
    explorer: Explorer,
    path: str,
    requests: list[str],
    tamper: Callable[[dict[str, Any]], None] | None = None,
) -> Page:
    """``path`` of the explorer in a fresh context without WebCrypto, optionally with its proof altered."""
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.add_init_script(NO_WEBCRYPTO)
    if tamper is not None:

        def lie(route: Route) -> None:
            answer = route.fetch()
            proof = answer.json()
            tamper(proof)
            route.fulfill(response=answer, body=json.dumps(proof))

        page.route("**/proof.json", lie)
    page.goto(explorer.url + path)
    return page


def verdict(page: Page) -> tuple[str, str]:
    page.wait_for_selector(DONE, timeout=20_000)
    return str(page.get_attribute("#proof", "data-verdict")), page.inner_text("#verdict")


def test_inclusion_is_verified_in_the_page_without_webcrypto(
    browser: Browser, explorer: Explorer, requests: list[str]
) -> None:
    size = explorer.story.backend.get("/v1/info")["size"]
    for index in (0, explorer.story.batch, size - 1):
        page = open_page(browser, explorer, f"/entry/{index}", requests)
        assert page.evaluate("typeof globalThis.crypto") == "undefined"
        state, text = verdict(page)
        assert state == "ok", text
        assert f"Verified in your browser: entry {index} is in the log of" in text
        assert page.locator("#steps li.ok").count() == 7  # entry, signer, shown, size, path, key, head
        page.context.close()
    assert all(url.startswith(explorer.url + "/") for url in requests), requests


def _flip_path(proof: dict[str, Any]) -> None:
    first = proof["audit_path"][0]
    proof["audit_path"][0] = ("0" if first[0] != "0" else "1") + first[1:]


def _other_entry(proof: dict[str, Any]) -> None:
    proof["entry"] = proof["entry"][:-2] + ("00" if proof["entry"][-2:] != "00" else "01")


def _late_head(proof: dict[str, Any]) -> None:
    proof["tree_head"]["timestamp"] += 1  # same root, but not what the operator signed


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (_flip_path, "audit path"),
        (_other_entry, "(INVALID)"),
        (_late_head, "Ed25519 signature of the log key"),
    ],
)
def test_a_tampered_proof_is_shown_as_failed(
    browser: Browser,
    explorer: Explorer,
    requests: list[str],
    tamper: Callable[[dict[str, Any]], None],
    named: str,
) -> None:
    page = open_page(browser, explorer, f"/entry/{explorer.story.batch}", requests, tamper)
    state, text = verdict(page)
    assert state == "failed", text
    assert text.startswith("FAILED: ")
    assert named in " ".join(page.locator("#steps li.failed").all_inner_texts())
    assert "Do not trust this entry" in text
    assert "failed" in str(page.get_attribute("#verdict", "class"))
    page.context.close()


def test_ed25519_in_chromium_agrees_with_pynacl(
    browser: Browser, explorer: Explorer, requests: list[str]
) -> None:
    page = open_page(browser, explorer, f"/entry/{explorer.story.batch}", requests)
    cases, expected = [], []
    for i in range(4):
        key = SigningKey(hashlib.sha256(b"chromium-%d" % i).digest())
        message = b"tree head %d" % i
        signature = key.sign(message).signature
        cases.append([bytes(key.verify_key).hex(), message.hex(), signature.hex()])
        cases.append([bytes(key.verify_key).hex(), (message + b"!").hex(), signature.hex()])
        expected += [True, False]
    got = page.evaluate(
        """(cases) => cases.map(([k, m, s]) => {
             const v = LeaseChainVerify;
             return v.ed25519Verify(v.hexToBytes(k), v.hexToBytes(m), v.hexToBytes(s));
           })""",
        cases,
    )
    assert got == expected
    page.context.close()


def test_search_and_navigation_by_keyboard(browser: Browser, explorer: Explorer, requests: list[str]) -> None:
    story = explorer.story
    page = open_page(browser, explorer, "/", requests)
    page.keyboard.press("Tab")  # the brand link
    page.keyboard.press("Tab")  # the search box
    page.keyboard.type("CNC-0001")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/machine/{story.token}")
    assert page.inner_text("h1") == "CNC-5 CNC-0001"
    page.get_by_role("link", name=story.lease).first.click()
    page.wait_for_url(f"**/lease/{story.lease}")
    page.get_by_role("link", name=story.invoice["id"]).click()
    page.wait_for_url("**/invoice/**")
    assert "11.80 EUR" in page.inner_text("#amount")
    page.get_by_role("link", name=f"entry {story.batch}").first.click()
    page.wait_for_url(f"**/entry/{story.batch}")
    assert verdict(page)[0] == "ok"
    page.context.close()
    assert all(url.startswith(explorer.url + "/") for url in requests), requests


def test_main_pages_fit_400_px(browser: Browser, explorer: Explorer) -> None:
    story = explorer.story
    paths = [
        "/",
        f"/entry/{story.batch}",
        f"/machine/{story.token}",
        f"/enterprise/{story.accounts['maker']}",
        f"/lease/{story.lease}",
        f"/invoice/{story.invoice['id']}",
        "/search?q=GmbH",
        "/log?before=12",
    ]
    problems = {path: layout_problems(browser, explorer.url + path, width=400) for path in paths}
    assert {path: found for path, found in problems.items() if found} == {}


def test_a_key_pinned_in_the_browser_holds_the_explorer_to_it(
    browser: Browser, explorer: Explorer, requests: list[str]
) -> None:
    impostor = bytes(SigningKey(hashlib.sha256(b"impostor").digest()).verify_key).hex()
    context = browser.new_context()
    context.add_init_script(f"localStorage.setItem('leasechain.logKey', '{impostor}');")
    page = context.new_page()
    page.goto(f"{explorer.url}/entry/{explorer.story.batch}")
    state, text = verdict(page)
    assert state == "failed", text
    assert f"expected {impostor}" in " ".join(page.locator("#steps li.failed").all_inner_texts())
    context.close()


def test_home_says_when_new_entries_arrive(browser: Browser, explorer: Explorer, requests: list[str]) -> None:
    story = explorer.story
    page = open_page(browser, explorer, "/", requests)
    page.clock.install()
    page.reload()
    assert page.locator("#live").is_hidden()
    story.backend.submit(
        story.backend.operator, "deposit", account=story.accounts["auditor"], amount=1, reference="live"
    )
    page.clock.run_for(6000)
    live = page.locator("#live")
    live.wait_for(state="visible", timeout=10_000)
    assert live.inner_text() == "1 new entry since this page was loaded — show them"
    live.get_by_role("link").click()
    page.wait_for_load_state()
    assert "recorded a deposit of 0.01 EUR to auditor GmbH (live)" in page.inner_text("#recent + div")
    page.context.close()
