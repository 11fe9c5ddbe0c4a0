"""The demo's HTML report: one self-contained file with the story, the fleet verdict and charts."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from html import escape
from typing import Any

from simulator.charts import bar_chart, line_chart


@dataclass
class ReportData:
    """What the report shows."""

    title: str
    facts: list[tuple[str, str]]
    fleet: dict[str, Any]
    telemetry: dict[str, list[tuple[str, list[tuple[float, float]]]]]  # chart title -> series
    usage: list[tuple[str, list[tuple[str, float]]]]  # machine -> [(period, hours)]
    payouts: list[tuple[str, list[tuple[str, float]]]]  # party -> [(kind, amount)]
    audit: list[tuple[str, bool, str]]  # bundle file, ok, detail
    events: list[str] = field(default_factory=list)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 900px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; }
td, th { padding: 2px 12px 2px 0; text-align: left; vertical-align: top; }
.ok { color: #2a7d2a; font-weight: bold; } .bad { color: #b22; font-weight: bold; }
ol { padding-left: 1.4em; } code { background: #f4f4f4; padding: 0 3px; }
"""


def _table(rows: list[tuple[str, str]]) -> str:
    return (
        "<table>"
        + "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
        + "</table>"
    )


def render(data: ReportData) -> str:
    """The whole HTML document."""
    v = data.fleet["verdict"]
    lat = v["latency_ms"]
    fleet_rows = [
        ("devices", str(data.fleet["devices"])),
        ("readings signed", str(data.fleet["signed"])),
        ("delivered", f"{v['delivered']} of {v['genuine_readings']}"),
        ("lost", f"{v['lost']} ({v['loss']:.4%})"),
        ("duplicates counted", str(v["duplicates"])),
        ("false accepts / rejects", f"{v['false_accepts']} / {v['false_rejects']}"),
        ("hostile messages rejected", f"{v['hostile_rejected']} of {v['hostile_messages']}"),
        (
            "publish to stored p50 / p99",
            f"{lat['publish_to_stored']['p50']} / {lat['publish_to_stored']['p99']} ms",
        ),
        (
            "publish to anchored p50 / p99",
            f"{lat['publish_to_anchored']['p50']} / {lat['publish_to_anchored']['p99']} ms",
        ),
        ("verdict", "passed" if data.fleet["passed"] else "FAILED: " + "; ".join(data.fleet["failures"])),
    ]
    audit_rows = "".join(
        f'<tr><td><code>{escape(name)}</code></td><td class="{"ok" if ok else "bad"}">'
        f"{'verified' if ok else 'FAILED'}</td><td>{escape(detail)}</td></tr>"
        for name, ok, detail in data.audit
    )
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{escape(data.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(data.title)}</h1>",
        f"<p>Generated {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}.</p>",
        _table(data.facts),
        "<h2>What happened</h2><ol>" + "".join(f"<li>{escape(e)}</li>" for e in data.events) + "</ol>",
        "<h2>Fleet verdict</h2>",
        _table(fleet_rows),
        "<h2>Telemetry per machine</h2>",
        *(line_chart(title, unit_of(title), series) for title, series in data.telemetry.items()),
        "<h2>Verified usage</h2>",
        bar_chart("Machine-hours per lease period (verified on the ledger)", "h", data.usage),
        "<h2>Payouts</h2>",
        bar_chart("Rent received per party", "EUR", data.payouts),
        "<h2>Audit</h2>",
        f"<table><tr><th>bundle</th><th>result</th><th>checked</th></tr>{audit_rows}</table>",
        "</body></html>",
    ]
    return "\n".join(parts)


def unit_of(title: str) -> str:
    """The unit written in a chart title's parentheses."""
    return title[title.rfind("(") + 1 : title.rfind(")")] if "(" in title else ""
