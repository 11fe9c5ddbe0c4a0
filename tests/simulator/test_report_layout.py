"""The demo report reads on a phone: at 420 px wide in a real Chromium nothing is cut off or squeezed."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import html_report
from simulator.demo import PERIODS
from tests.simulator.browser import chromium, layout_problems

pytestmark = pytest.mark.browser

DAY = 86_400
T0 = 1_714_521_600


def fleet_report(passed: bool) -> dict[str, object]:
    stats = {"count": 1440, "p50": 41.2, "p90": 80.5, "p99": 1234.5, "max": 2500.0}
    return {
        "devices": 24,
        "signed": 1457,
        "passed": passed,
        "failures": []
        if passed
        else ["16 false accepts (16 at the gateway, 0 on the ledger), max_false_accepts 0"],
        "verdict": {
            "delivered": 1440,
            "genuine_readings": 1440,
            "lost": 0,
            "loss": 0.0,
            "duplicates": 0,
            "false_accepts": 0,
            "false_rejects": 0,
            "hostile_rejected": 17,
            "hostile_messages": 17,
            "latency_ms": {"publish_to_stored": stats, "publish_to_anchored": stats},
        },
    }


def report_data(passed: bool = True, explorer: str = "http://127.0.0.1:38090") -> html_report.ReportData:
    """A report the size of the default demo's: 24 machines, two periods each, six parties."""
    kinds = ["cnc-mill"] * 12 + ["compressor"] * 6 + ["printer-3d"] * 6
    machines = [
        html_report.Machine(
            f"sim-42-{i:06d}", kind, f"tok-{i:016x}", f"lease-{i:016x}", [10.5 + i % 5, 12.25 + i % 3]
        )
        for i, kind in enumerate(kinds)
    ]
    series = [
        (f"{m.serial} ({m.kind})", [(T0 + t * 120.0, 5.0 + t % 7) for t in range(1440)])
        for m in machines[::12]
    ]
    money = [
        html_report.Money("Acme Machines", "manufacturer", received={"share": 1_389_525}),
        html_report.Money("Bolt Fabrication", "lessee", paid_rent=3_590_000),
        html_report.Money("North Equipment Fund", "investor", received={"share": 1_220_745}),
        html_report.Money("Ada Invest", "investor", received={"share": 872_030}),
        html_report.Money("SiteLink Gateways", "service", received={"fee": 71_800}),
        html_report.Money("Platform operator", "operator", received={"fee": 35_900}),
    ]
    audit = [
        html_report.AuditRow(f"audit/{m.lease}.{p}.json", m.serial, p, passed, "13 checks passed")
        for m in machines
        for p in range(PERIODS)
    ]
    return html_report.ReportData(
        title="Lease Chain demo",
        currency="EUR",
        facts=[
            ("machines", "24 (cnc-mill, compressor, printer-3d)"),
            ("broker", "mosquitto"),
            ("rent paid", "35,900.00 EUR over 48 invoices"),
            ("ledger", "307 log entries, root 99fc6c5fced19542…"),
        ],
        fleet=fleet_report(passed),
        telemetry={"Current drawn (A)": series, "Temperature (°C)": series},
        machines=machines,
        money=money,
        audit=audit,
        audit_scope="The auditor exported and verified the evidence of every invoice.",
        events=["ledger backend serving on http://127.0.0.1:38079 (SQLite in a temporary directory)"] * 17,
        explorer=explorer,
    )


@pytest.mark.parametrize("passed", [True, False], ids=["passed", "failed"])
def test_the_report_fits_a_420_px_phone(tmp_path: Path, passed: bool) -> None:
    page = tmp_path / "report.html"
    page.write_text(html_report.render(report_data(passed)))
    with chromium() as browser:
        assert layout_problems(browser, page) == []
        assert layout_problems(browser, page, width=1280) == []


def test_a_squeezed_table_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "wide.html"
    cells = "".join(f"<td style='white-space:nowrap'>{n:,}.00 EUR</td>" for n in range(8))
    page.write_text(
        f"<!doctype html><meta name='viewport' content='width=device-width'><table><tr>{cells}</tr></table>"
    )
    with chromium() as browser:
        problems = layout_problems(browser, page)
    assert any(p.startswith("page scrolls sideways") for p in problems), problems


def test_the_report_explains_its_terms_names_machines_and_links_bundles() -> None:
    html = html_report.render(report_data())
    for term in ("Gateway and anchoring", "Hostile messages", "False accepts", "Evidence bundle"):
        assert f"<dt>{term}" in html
    assert "sim-42-000000 (cnc-mill)" in html
    assert '<a href="audit/lease-0000000000000000.0.json">' in html
    assert html.count('<a href="audit/') == 48
    assert "Bolt Fabrication</td><td class='num'>35,900.00 EUR" in html
    assert "Paid and received are equal, to the cent" in html
    assert "every invoice" in html


def test_the_report_links_every_machine_and_lease_to_the_explorer() -> None:
    html = html_report.render(report_data())
    site = "http://127.0.0.1:38090"
    assert f"<a href='{site}/'>{site}/</a>" in html
    assert f"<a href='{site}/machine/tok-0000000000000000'>sim-42-000000</a>" in html
    assert html.count(f"href='{site}/machine/") == 24
    assert html.count(f"href='{site}/lease/") == 48  # each lease and its trace
    assert f"href='{site}/lease/lease-0000000000000017#trace'" in html
    assert "In the explorer" not in html_report.render(report_data(explorer=""))
