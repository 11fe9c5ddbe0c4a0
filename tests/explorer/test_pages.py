"""Every page of the explorer, over a real backend holding one whole lease: what a person reads on it."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

import pytest

from tests.explorer.conftest import Explorer


def get(explorer: Explorer, path: str) -> tuple[int, str, str]:
    """Status, final URL (after redirects) and the page as text without tags."""
    try:
        with urllib.request.urlopen(explorer.url + path, timeout=30) as response:
            return response.status, response.url, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, path, exc.read().decode()


def text(page: str) -> str:
    """What a reader sees: tags and scripts gone, whitespace folded."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def ledger(explorer: Explorer, path: str) -> Any:
    return explorer.story.backend.get(path)


def test_home_shows_the_signed_head_totals_and_recent_entries_in_words(explorer: Explorer) -> None:
    status, _, page = get(explorer, "/")
    head = ledger(explorer, "/v1/log/tree-head")
    seen = text(page)
    assert status == 200
    assert f"{head['tree_size']} entries" in seen
    assert head["root_hash"] in seen
    assert "machines 1 " in seen
    assert "rent paid 11.80 EUR" in seen  # 10.00 fixed + 0.50 machine-hours at 3.60
    assert "readings verified 4 " in seen
    assert "lessee GmbH paid invoice" in seen
    assert "gateway GmbH anchored a batch of 5 signed readings: 4 verified, 0 duplicates, 1 rejected" in seen


def test_entry_page_tells_the_offer_in_words_with_the_signer_by_name(explorer: Explorer) -> None:
    story = explorer.story
    offer = next(
        e
        for i in range(ledger(explorer, "/v1/info")["size"])
        if (e := ledger(explorer, f"/v1/transactions/{i}"))["type"] == "offer_lease"
    )
    status, _, page = get(explorer, f"/entry/{offer['index']}")
    seen = text(page)
    assert status == 200
    assert re.search(
        rf"maker GmbH offered lease {story.lease} of CNC-5 CNC-0001 to lessee GmbH: 1 period of 5 s "
        r"from \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, 10\.00 EUR per period plus 3\.60 EUR per machine-hour; "
        r"deposit 5\.00 EUR; fees Lease Chain \([0-9a-f]{8}…\) 2\.50 %",
        seen,
    ), seen
    assert f"signer maker GmbH ({story.accounts['maker'][:8]}…)" in seen
    assert f'href="/lease/{story.lease}"' in page
    assert f'data-index="{offer["index"]}"' in page  # the proof section the page's script fills


def test_proof_json_carries_what_the_page_checks(explorer: Explorer) -> None:
    status, _, body = get(explorer, f"/entry/{explorer.story.batch}/proof.json")
    proof = json.loads(body)
    assert status == 200
    assert proof["entry"] == ledger(explorer, f"/v1/transactions/{explorer.story.batch}")["entry"]
    assert proof["tree_size"] == proof["tree_head"]["tree_size"]
    assert proof["log_key"] == ledger(explorer, "/v1/info")["log_key"]


def test_machine_page_shows_owner_shares_sensor_leases_usage_and_readings(explorer: Explorer) -> None:
    story = explorer.story
    status, _, page = get(explorer, f"/machine/{story.token}")
    seen = text(page)
    assert status == 200
    assert "CNC-5 CNC-0001" in seen
    assert "owner maker GmbH" in seen
    assert re.search(r"maker GmbH \([0-9a-f]{8}…\) 70 70\.00 %", seen)
    assert re.search(r"investor GmbH \([0-9a-f]{8}…\) 30 30\.00 %", seen)
    device = ledger(explorer, f"/v1/tokens/{story.token}")["devices"][0]["device"]
    assert re.search(rf"{device} active \S+Z \S+Z ?: temperature 21\.50 °C, running yes", seen), seen
    assert story.lease in seen
    assert "period 0: 0.50 machine-hours" in seen
    assert "run time 0.67 machine-hours" in seen  # the last reading's counter: 4 x 600 s
    assert f'href="/entry/{story.batch}"' in page


def test_enterprise_page_shows_certification_credit_balance_and_journal(explorer: Explorer) -> None:
    story = explorer.story
    status, _, page = get(explorer, f"/enterprise/{story.accounts['lessee']}")
    seen = text(page)
    assert status == 200
    assert "lessee GmbH" in seen
    assert "certification approved" in seen
    assert "rent payments 1 on time, 0 late" in seen
    assert "completed leases 1" in seen
    balance = ledger(explorer, f"/v1/accounts/{story.accounts['lessee']}")["balance"]
    assert balance == 50000 - 1180  # the deposit came back
    assert "settlement balance 488.20 EUR" in seen
    assert re.search(rf"{story.lease} — closed, lessee", seen), seen


def test_an_enterprise_lists_only_its_own_machines_and_leases(explorer: Explorer) -> None:
    story = explorer.story
    _, _, maker = get(explorer, f"/enterprise/{story.accounts['maker']}")
    _, _, investor = get(explorer, f"/enterprise/{story.accounts['investor']}")
    assert re.search(rf"{story.lease} — closed, lessor", text(maker))
    assert f'href="/machine/{story.token}"' in maker
    assert f'href="/lease/{story.lease}"' not in investor  # a holder of shares, neither lessor nor lessee
    assert f'href="/machine/{story.token}"' not in investor


def test_lease_and_invoice_pages_show_terms_payments_and_payouts_that_add_up(explorer: Explorer) -> None:
    story = explorer.story
    invoice_id = story.invoice["id"]
    status, _, page = get(explorer, f"/lease/{story.lease}")
    seen = text(page)
    assert status == 200
    assert "status closed" in seen
    assert "billed / paid 11.80 EUR / 11.80 EUR" in seen
    assert re.search(rf"{re.escape(invoice_id)} .* 11\.80 EUR \S+Z , on time", seen)
    status, _, page = get(explorer, f"/invoice/{quote(invoice_id)}")
    seen = text(page)
    assert status == 200
    assert "10.00 EUR fixed rent plus 1.80 EUR for 0.50 machine-hours = 11.80 EUR" in seen
    lines = ledger(explorer, f"/v1/invoices/{invoice_id}")["payouts"]
    assert sum(line["amount"] for line in lines) == 1180
    assert "fee 2.50 % 0.29 EUR" in seen
    assert "30 of 100 shares 3.45 EUR" in seen
    assert "70 of 100 shares 8.06 EUR" in seen
    # The verified readings behind the usage, each linked to its batch entry.
    assert "the ledger counts 3 of them, 0.50 machine-hours." in seen
    assert page.count(f'href="/entry/{story.batch}"') == 4  # the meter's baseline and 3 that add


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("investor gmbh", "/enterprise/{investor}"),
        ("{investor}", "/enterprise/{investor}"),
        ("CNC-0001", "/machine/{token}"),
        ("{token}", "/machine/{token}"),
        ("{lease}", "/lease/{lease}"),
        ("{invoice}", "/invoice/{invoice}"),
        ("{device}", "/machine/{token}"),
        ("{batch}", "/entry/{batch}"),
        ("{batch_id}", "/entry/{batch}"),
    ],
)
def test_one_search_box_finds_each_kind(explorer: Explorer, query: str, expected: str) -> None:
    story = explorer.story
    batch = ledger(explorer, f"/v1/transactions/{story.batch}")
    values = {
        "investor": story.accounts["investor"],
        "token": story.token,
        "lease": story.lease,
        "invoice": story.invoice["id"],
        "device": ledger(explorer, f"/v1/tokens/{story.token}")["devices"][0]["device"],
        "batch": story.batch,
        "batch_id": batch["id"],
    }
    status, url, _ = get(explorer, "/search?q=" + quote(query.format(**values)))
    assert status == 200
    assert url == explorer.url + expected.format(**values)


def test_a_search_without_match_says_what_can_be_searched(explorer: Explorer) -> None:
    status, _, page = get(explorer, "/search?q=" + quote("no such thing <b>"))
    seen = text(page)
    assert status == 200
    assert "Nothing on the ledger matches “no such thing <b>”" in seen
    assert "<b>" not in page.replace("&lt;b&gt;", "")  # escaped, never markup


@pytest.mark.parametrize(
    "path", ["/entry/9999", "/machine/tok-0000000000000000", "/lease/lease-x", "/invoice/nope"]
)
def test_unknown_things_are_404_pages_that_say_so(explorer: Explorer, path: str) -> None:
    status, _, page = get(explorer, path)
    assert status == 404
    assert "Not found" in text(page)


def test_every_asset_is_local(explorer: Explorer) -> None:
    story = explorer.story
    for path in ["/", f"/entry/{story.batch}", f"/machine/{story.token}", f"/lease/{story.lease}"]:
        _, _, page = get(explorer, path)
        for ref in re.findall(r'(?:src|href)="([^"]*)"', page):
            assert ref.startswith("/"), (path, ref)


def test_the_log_pages_by_cursor(explorer: Explorer) -> None:
    size = ledger(explorer, "/v1/info")["size"]
    status, _, page = get(explorer, "/log?before=10")
    seen = text(page)
    assert status == 200
    assert [int(i) for i in re.findall(r'href="/entry/(\d+)"', page)] == list(range(9, -1, -1))
    assert "Lease Chain started the ledger 'Lease Chain', in EUR" in seen
    assert f'href="/log?before={min(size, 60)}"' in page  # newer
    assert "older →" not in seen  # entry 0 is the oldest
    _, _, newest = get(explorer, "/log")
    assert re.findall(r'href="/entry/(\d+)"', newest)[0] == str(size - 1)


def test_the_whole_log_exports_as_csv_and_json_with_amounts_in_the_currency(explorer: Explorer) -> None:
    size = ledger(explorer, "/v1/info")["size"]
    status, _, body = get(explorer, "/log.csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert status == 200
    assert [int(r["index"]) for r in rows] == list(range(size))
    deposit = next(
        r for r in rows if r["type"] == "deposit" and json.loads(r["args"])["reference"] == "bank-lessee"
    )
    assert json.loads(deposit["args"])["amount"] == "500.00"
    assert deposit["currency"] == "EUR"
    assert deposit["signer_name"] == "Lease Chain"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", deposit["time"])
    status, _, body = get(explorer, "/log.json")
    assert status == 200
    assert [r["index"] for r in json.loads(body)] == list(range(size))
    assert get(explorer, "/log.xml")[0] == 404


def test_an_accounts_payouts_export(explorer: Explorer) -> None:
    investor = explorer.story.accounts["investor"]
    _, _, body = get(explorer, f"/enterprise/{investor}/payouts.csv")
    assert list(csv.DictReader(io.StringIO(body))) == [
        {
            "invoice": explorer.story.invoice["id"],
            "kind": "share",
            "basis": "30",
            "amount": "3.45",
            "currency": "EUR",
        }
    ]
    _, _, body = get(explorer, f"/enterprise/{investor}/payouts.json")
    assert json.loads(body)[0]["amount"] == "3.45"
