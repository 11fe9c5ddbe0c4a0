"""The demo's HTML report: one self-contained file with the story, the fleet verdict, charts and money.

It is written for a reader who was not watching: it says what each part shows and explains the
terms, names machines by their serial numbers, sets what the lessees paid beside what every party
received, and links the audit bundles beside it. The layout is one column that fits a 420 px
phone (tests/simulator/test_report_layout.py checks it in a real Chromium).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote

from chain_client import human
from simulator.charts import bar_chart, line_chart


@dataclass(frozen=True)
class Machine:
    """One leased machine: its serial, kind, token, lease, and verified hours per period."""

    serial: str
    kind: str
    token: str
    lease: str
    hours: list[float]


@dataclass(frozen=True)
class Money:
    """One party's money in the story, in minor units: what it paid and what it received."""

    name: str
    role: str
    paid_rent: int = 0
    received: dict[str, int] = field(default_factory=dict)  # payout kind (fee, share) -> amount


@dataclass(frozen=True)
class AuditRow:
    """One evidence bundle: its file (relative to the report), what it covers, the verdict."""

    path: str
    serial: str
    period: int
    ok: bool
    detail: str


@dataclass
class ReportData:
    """What the report shows."""

    title: str
    currency: str
    facts: list[tuple[str, str]]
    fleet: dict[str, Any]
    telemetry: dict[str, list[tuple[str, list[tuple[float, float]]]]]  # chart title -> series
    machines: list[Machine]
    money: list[Money]
    audit: list[AuditRow]
    audit_scope: str  # which invoices were audited, and why those
    events: list[str] = field(default_factory=list)
    explorer: str = ""  # the explorer's address while the demo runs ("" when none was started)


_STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; margin: 0 auto; padding: 1em; max-width: 900px;
       color: #222; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; max-width: 100%; margin: 0.5em 0; }
td, th { padding: 2px 10px 2px 0; text-align: left; vertical-align: top; overflow-wrap: break-word; }
.num { text-align: right; white-space: nowrap; }
.ok { color: #2a7d2a; font-weight: bold; } .bad { color: #b22; font-weight: bold; }
ol { padding-left: 1.4em; } code { background: #f4f4f4; padding: 0 3px; overflow-wrap: anywhere; }
dt { font-weight: bold; margin-top: 0.5em; } dd { margin-left: 1em; }
svg { display: block; width: 100%; max-width: 640px; height: auto; margin: 0.8em 0; }
.note { color: #555; }
"""

TERMS = [
    (
        "Signed reading",
        "A sensor on the machine measures current, temperature and run time and signs each reading "
        "with a key it made itself and never gives out, so nobody can alter the reading afterwards.",
    ),
    (
        "Gateway and anchoring",
        "The site gateway checks every signature, stores the readings, groups them into batches and "
        "submits each batch to the ledger, which checks them again and appends them to its log: the "
        "batch is then anchored, and its readings can be proven to anyone.",
    ),
    (
        "Ledger and log",
        "An append-only log run by the platform operator; every entry (certification, token, share "
        "sale, lease, batch, invoice, payment) is signed by whoever made it, and the log's signed "
        "tree head lets anyone check that no entry was changed or removed.",
    ),
    (
        "Machine token and shares",
        "Each machine is a token on the ledger, split into shares that investors buy; rent is paid "
        "out to the holders in proportion to their shares.",
    ),
    (
        "Verified machine-hours",
        "Run time counted only from anchored readings whose signature verified; the usage part of "
        "the rent is the hourly rate times these hours.",
    ),
    (
        "Hostile messages",
        "Messages the demo sends on purpose to test the site: forged signatures and truncated "
        "messages. A correct site rejects every one of them.",
    ),
    (
        "False accepts and false rejects",
        "A false accept is a hostile message the gateway or the ledger took as genuine; a false "
        "reject is a genuine reading refused. Both must be 0.",
    ),
    (
        "Lost and counted twice",
        "Genuine readings the devices sent that never reached the ledger, and readings the ledger "
        "counted more than once (the demo also sends some twice on purpose; they must count once).",
    ),
    (
        "p50 / p99",
        "The time within which half, or 99 in 100, of the readings were stored by the gateway or "
        "anchored on the ledger after the sensor sent them.",
    ),
    (
        "Fee and share payouts",
        "Every rent payment is split at once: fees first (a percentage agreed in the lease: the "
        "gateway's service company and the platform), the rest to the share holders.",
    ),
    (
        "Evidence bundle (audit)",
        "One file per invoice with the log entries, the signed readings and the proofs behind it. "
        "The command leasechain audit verify FILE checks it with no network, trusting only the log's key: "
        "signatures, the lease terms, the machine-hours, the amount and every payout line.",
    ),
]


def _table(rows: list[tuple[str, str]]) -> str:
    return (
        "<table>"
        + "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
        + "</table>"
    )


def _latency(stats: dict[str, Any]) -> str:
    return f"{stats['p50']} / {stats['p99']} ms"


def _fleet(fleet: dict[str, Any]) -> str:
    v = fleet["verdict"]
    lat = v["latency_ms"]
    rows = [
        ("sensors", str(fleet["devices"])),
        ("readings signed", str(fleet["signed"])),
        ("delivered", f"{v['delivered']} of {v['genuine_readings']}"),
        ("lost", f"{v['lost']} ({v['loss']:.4%})"),
        ("counted twice", str(v["duplicates"])),
        ("false accepts / rejects", f"{v['false_accepts']} / {v['false_rejects']}"),
        ("hostile messages rejected", f"{v['hostile_rejected']} of {v['hostile_messages']}"),
        ("sent to stored, p50 / p99", _latency(lat["publish_to_stored"])),
        ("sent to anchored, p50 / p99", _latency(lat["publish_to_anchored"])),
        ("verdict", "passed" if fleet["passed"] else "FAILED: " + "; ".join(fleet["failures"])),
    ]
    return _table(rows)


def _money(data: ReportData) -> str:
    def m(amount: int) -> str:
        return escape(human.money(amount, data.currency))

    payers = [p for p in data.money if p.paid_rent]
    paid_rows = "".join(
        f"<tr><td>{escape(p.name)}</td><td class='num'>{m(p.paid_rent)}</td></tr>" for p in payers
    )
    received_rows = "".join(
        f"<tr><td>{escape(p.name)}<br><span class='note'>{escape(p.role)}: "
        + ", ".join(f"{escape(kind)} {m(amount)}" for kind, amount in sorted(p.received.items()))
        + f"</span></td><td class='num'>{m(sum(p.received.values()))}</td></tr>"
        for p in data.money
        if p.received
    )
    paid = sum(p.paid_rent for p in data.money)
    received = sum(sum(p.received.values()) for p in data.money)
    balance = "equal, to the cent" if paid == received else "NOT equal"
    return (
        "<p>What each lessee paid in rent, and what each party received from those payments. "
        "Deposits are not rent: each went into escrow when the lease was signed and came back "
        "when it closed.</p>"
        "<table><tr><th>lessee</th><th class='num'>rent paid</th></tr>"
        f"{paid_rows}<tr><th>total</th><th class='num'>{m(paid)}</th></tr></table>"
        "<table><tr><th>received by</th><th class='num'>received</th></tr>"
        f"{received_rows}<tr><th>total</th><th class='num'>{m(received)}</th></tr></table>"
        f"<p>Paid and received are {balance}: every payment is split exactly, with no rounding lost.</p>"
    )


def _audit(data: ReportData) -> str:
    rows = "".join(
        f"<tr><td>{escape(a.serial)}<br>day {a.period + 1}</td>"
        f'<td><a href="{escape(a.path)}"><code>{escape(a.path.rsplit("/", 1)[-1])}</code></a></td>'
        f'<td><span class="{"ok" if a.ok else "bad"}">{"verified" if a.ok else "FAILED"}</span>'
        f"<br>{escape(a.detail)}</td></tr>"
        for a in data.audit
    )
    held = sum(1 for a in data.audit if a.ok)
    return (
        f"<p>{escape(data.audit_scope)} {held} of {len(data.audit)} bundles verified. Check one "
        "yourself with <code>leasechain audit verify audit/FILE</code>.</p>"
        f"<table><tr><th>machine</th><th>bundle</th><th>result</th></tr>{rows}</table>"
    )


def _explorer(data: ReportData) -> str:
    """Links into the explorer: the log, each machine, each lease and its payout trace."""
    if not data.explorer:
        return ""
    site = escape(data.explorer.rstrip("/"))
    rows = "".join(
        f"<tr><td><a href='{site}/machine/{quote(m.token, safe='')}'>{escape(m.serial)}</a></td>"
        f"<td><a href='{site}/lease/{quote(m.lease, safe='')}'>lease</a> · "
        f"<a href='{site}/lease/{quote(m.lease, safe='')}#trace'>trace its payouts</a></td></tr>"
        for m in data.machines
    )
    return (
        "<h2>In the explorer</h2>"
        f"<p>The explorer at <a href='{site}/'>{site}/</a> shows all of this from the ledger alone, "
        f"with every proof checked in your browser: the <a href='{site}/'>latest signed checkpoint</a>, "
        f"<a href='{site}/log'>the whole log</a>, and each machine and lease below. The links work while "
        "the demo's explorer runs (<code>leasechain-sim demo --keep</code> keeps it up).</p>"
        f"<table><tr><th>machine</th><th>lease</th></tr>{rows}</table>"
    )


def render(data: ReportData) -> str:
    """The whole HTML document."""
    usage = [
        (f"{m.serial} ({m.kind})", [(f"day {i + 1}", h) for i, h in enumerate(m.hours)])
        for m in data.machines
    ]
    unit = 10 ** human.minor_units(data.currency)
    received = [
        (p.name, sorted((kind, amount / unit) for kind, amount in p.received.items()))
        for p in data.money
        if p.received
    ]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{escape(data.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(data.title)}</h1>",
        "<p>This report was written by <code>leasechain-sim demo</code>, which played the whole Lease "
        "Chain story on one computer: machines with signing sensors were tokenized, funded by "
        "investors and leased with rent that follows their verified machine-hours; their telemetry "
        "went through a real broker and gateway onto the ledger; every invoice was paid and split "
        "among the parties, and an auditor checked the evidence offline. The terms are explained "
        "at the end.</p>",
        f"<p class='note'>Generated {human.when(time.time())}; times are UTC.</p>",
        _table(data.facts),
        "<h2>What happened</h2><ol>" + "".join(f"<li>{escape(e)}</li>" for e in data.events) + "</ol>",
        "<h2>Fleet verdict</h2>",
        "<p>Did the site (broker, gateway, ledger) keep every genuine reading exactly once and "
        "refuse every hostile message?</p>",
        _fleet(data.fleet),
        "<h2>Telemetry per machine</h2>",
        "<p>Verified readings of one machine of each kind, as its sensor signed them.</p>",
        *(line_chart(title, unit_of(title), series) for title, series in data.telemetry.items()),
        "<h2>Verified usage</h2>",
        "<p>Machine-hours per lease period (one device day each), counted from verified readings "
        "only: the usage part of each invoice.</p>",
        bar_chart("Machine-hours per lease period", "h", usage),
        "<h2>Money</h2>",
        _money(data),
        bar_chart(f"Rent received per party ({data.currency})", data.currency, received),
        "<h2>Audit</h2>",
        _audit(data),
        _explorer(data),
        "<h2>Terms</h2><dl>"
        + "".join(f"<dt>{escape(t)}</dt><dd>{escape(d)}</dd>" for t, d in TERMS)
        + "</dl>",
        "</body></html>",
    ]
    return "\n".join(parts)


def unit_of(title: str) -> str:
    """The unit written in a chart title's parentheses."""
    return title[title.rfind("(") + 1 : title.rfind(")")] if "(" in title else ""
