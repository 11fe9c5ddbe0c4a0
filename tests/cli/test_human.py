"""What people read: every ``leasechain`` command prints names, ISO 8601 times, money with its
currency and readings with units, while ``--json`` keeps the raw values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chain_client.cli.main import parser
from tests.cli.story import FIXED_RENT, Story

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
UNIX = re.compile(r"\b1[6-9]\d{8}\b")  # Unix seconds of these years


def out(story: Story, *args: str, key: str | None = None) -> str:
    result = story.cli.run(*args, key=key)
    assert result.code == 0, (args, result)
    return result.out


def short(account: str) -> str:
    return account[:8] + "…"


def assert_readable(text: str) -> None:
    """No 64-hex account and no Unix time left in the text."""
    assert not HEX64.search(text), text
    assert not UNIX.search(text), text


def test_parties_are_named_beside_a_short_account(story: Story) -> None:
    a = story.accounts
    holders = out(story, "shares", "holders", story.token)
    assert_readable(holders)
    header, *rows = holders.splitlines()
    assert header.split() == ["HOLDER", "SHARES", "PERCENT"]
    assert rows[0].startswith(f"maker GmbH ({short(a['maker'])})")
    assert rows[0].split()[-3:] == ["70", "70.00", "%"]
    listing = out(story, "enterprise", "list")
    assert_readable(listing)
    assert re.search(
        rf"maker GmbH\s+{re.escape(short(a['maker']))}\s+manufacturer\s+approved\s+{ISO.pattern}", listing
    )


def test_an_enterprise_shows_its_full_account_and_readable_times(story: Story) -> None:
    shown = out(story, "enterprise", "show", "maker")
    assert f"account:                 {story.accounts['maker']}" in shown  # the subject, whole
    assert re.search(rf"registered_at:\s+{ISO.pattern}", shown)
    assert re.search(rf"credit.certified_at:\s+{ISO.pattern}", shown)
    assert re.search(rf"reviewed_by:\s+Lease Chain \({re.escape(short(story.accounts['operator']))}\)", shown)


def test_a_token_shows_money_times_parties_and_fee_terms(story: Story) -> None:
    status = out(story, "token", "status", story.token)
    assert_readable(status)
    assert "price:           1,000.00 EUR" in status
    assert "share_price:     0.10 EUR" in status
    assert f"owner:           maker GmbH ({short(story.accounts['maker'])})" in status
    assert f"fee_terms:       Lease Chain ({short(story.accounts['operator'])}) 2.50 %" in status
    assert re.search(rf"minted_at:\s+{ISO.pattern}", status)
    assert re.search(rf"active\s+{ISO.pattern}\s+-", status)  # a device bound, never ended
    listing = out(story, "token", "list")
    assert_readable(listing)
    assert "CNC-0001" in listing
    assert "maker GmbH" in listing


def test_a_lease_shows_its_terms_and_invoices_for_people(story: Story) -> None:
    shown = out(story, "lease", "show", story.lease)
    assert_readable(shown)
    assert f"lessee:     lessee GmbH ({short(story.accounts['lessee'])})" in shown
    assert "period:     5 s" in shown
    assert "grace:      1 h" in shown
    assert "fixed_rent: 10.00 EUR" in shown
    assert "usage_rate: 3.60 EUR per machine-hour" in shown
    assert "deposit:    5.00 EUR" in shown
    assert re.search(rf"start:\s+{ISO.pattern}", shown)
    invoice = shown.split("invoices:")[1]
    assert re.search(rf"\.0\s+{ISO.pattern}\s+{ISO.pattern}\s+0\.50 machine-hours\s+11\.80 EUR", invoice)
    listing = out(story, "lease", "list")
    assert_readable(listing)
    assert "lessee GmbH" in listing
    raw = story.cli.ok("lease", "show", story.lease)
    assert isinstance(raw["start"], int)
    assert raw["fixed_rent"] == FIXED_RENT
    assert raw["lessee"] == story.accounts["lessee"]


def test_payouts_name_who_received_what(story: Story) -> None:
    a = story.accounts
    lines = out(story, "rent", "payouts", "--invoice", story.invoice["id"])
    assert_readable(lines)
    assert "amount:        11.80 EUR" in lines
    assert "usage_seconds: 1800 s (0.50 machine-hours)" in lines
    assert re.search(rf"Lease Chain \({re.escape(short(a['operator']))}\)\s+fee\s+2.50 %\s+0.29 EUR", lines)
    assert re.search(
        rf"investor GmbH \({re.escape(short(a['investor']))}\)\s+share\s+30 shares\s+3.45 EUR", lines
    )
    received = out(story, "rent", "payouts", "investor")
    assert received.startswith(f"payouts received by investor GmbH ({short(a['investor'])}):")
    assert "total: 3.45 EUR" in received
    balance = out(story, "account", "balance", "investor")
    assert balance.startswith(f"investor GmbH ({short(a['investor'])}), settlement: ")
    assert balance.rstrip().endswith(" EUR")
    assert out(story, "account", "balance", f"escrow:{story.lease}") == f"escrow:{story.lease}: 0.00 EUR\n"


def test_readings_have_times_and_units(story: Story) -> None:
    rows = out(story, "telemetry", "query", "--token", story.token, "--status", "verified")
    assert re.search(
        rf"{ISO.pattern}\s+verified\s+0.17 machine-hours\s+temperature 21.50 °C, running yes", rows
    )
    assert not UNIX.search(rows)
    proof = out(story, "verify", str(story.batch), "0")
    assert re.search(rf"at {ISO.pattern} is in the log", proof)
    assert proof.rstrip().endswith("temperature 21.50 °C, running yes")
    head = out(story, "log", "head")
    assert re.search(rf"time {ISO.pattern}: signature verified", head)
    keys = out(story, "key", "show", "maker")
    assert re.search(rf"created: {ISO.pattern}", keys)


def test_times_are_taken_in_iso_8601(story: Story) -> None:
    since = story.cli.ok("telemetry", "query", "--token", story.token, "--since", "2000-01-01T00:00:00Z")
    assert since
    assert story.cli.ok("telemetry", "query", "--token", story.token, "--until", "2000-01-01") == []
    bad = story.cli.run("telemetry", "query", "--since", "yesterday")
    assert bad.code == 2
    assert "'yesterday' is not a time" in bad.err


def test_actions_report_names_and_money(story: Story) -> None:
    cli = story.cli
    cli.ok("key", "new", "reader")
    said = out(story, "enterprise", "register", "--name", "Reader Fund", "--role", "investor", key="reader")
    assert "Reader Fund (" in said
    assert "is pending review" in said
    said = out(story, "enterprise", "approve", "reader", key="operator")
    reader = cli.ok("key", "show", "reader")["account"]
    assert said.rstrip().endswith(f"Reader Fund ({short(reader)}) approved")
    # the short form people read is accepted back as an account
    said = out(story, "account", "deposit", short(reader), "123456", "--reference", "bank-r", key="operator")
    assert said.rstrip().endswith(f"Reader Fund ({short(reader)}) now holds 1,234.56 EUR")
    minted = cli.ok(
        "token", "mint", "--serial", "HUM-0001", "--model", "H-1", "--price", "5000", "--salvage-value", "0",
        "--shares", "10", "--share-price", "10", "--fee-term", "operator:100", key="maker",
    )["result"]["token"]  # fmt: skip
    said = out(story, "shares", "buy", minted, "5", key="reader")
    assert said.rstrip().endswith("holding 5 shares, paid 0.50 EUR")
    said = out(story, "token", "fee-terms", minted, "--fee", "operator:50", key="maker")
    assert said.rstrip().endswith(f"Lease Chain ({short(story.accounts['operator'])}) 0.50 %")
    said = out(
        story, "lease", "offer", minted, "--lessee", "lessee", "--start", "+60", "--periods", "2",
        "--period", "86400", "--fixed-rent", "100", key="maker",
    )  # fmt: skip
    assert re.search(rf"\(2 periods of 1 d from {ISO.pattern}\) awaits lessee GmbH", said)
    said = out(story, "account", "withdraw", "100", "--reference", "out-r", key="reader")
    assert said.rstrip().endswith("balance 1,233.06 EUR")
    assert_readable(said)


def test_a_short_form_names_nobody_below_eight_digits(story: Story) -> None:
    result = story.cli.run("account", "balance", story.accounts["maker"][:6])
    assert result.code == 2
    assert "nor the start of a known account's id" in result.err


def test_plot_labels_the_channel_axis_with_its_name_and_unit(story: Story, tmp_path: Path) -> None:
    png = tmp_path / "t.png"
    said = out(story, "telemetry", "plot", "--token", story.token, "--channel", "1", "-o", str(png))
    assert said.rstrip().endswith("values of temperature (°C)")
    raw = story.cli.ok("telemetry", "plot", "--token", story.token, "--channel", "1", "-o", str(png))
    assert raw["axis"] == "temperature (°C)"
    assert raw["channel_values"] >= 4


def test_plot_figure_axes_say_what_they_show(story: Story) -> None:
    import matplotlib
    import numpy

    matplotlib.use("Agg")
    from chain_client.cli.telemetry import figure
    from chain_client.client import LedgerClient

    with LedgerClient(story.backend.url) as client:
        rows = client.telemetry(token=story.token, status="verified")
    fig, plotted = figure(rows, 1, "t")
    first, second = fig.axes
    assert first.get_ylabel() == "run time (machine-hours)"
    assert second.get_ylabel() == "temperature (°C)"
    assert plotted == len(rows)
    assert numpy.asarray(second.lines[0].get_ydata()).tolist() == [21.5] * plotted


def test_plot_refuses_an_unknown_channel(story: Story, tmp_path: Path) -> None:
    result = story.cli.run(
        "telemetry", "plot", "--token", story.token, "--channel", "99", "-o", str(tmp_path / "x.png")
    )
    assert result.code == 2
    assert "--channel 99 is no known sensor channel" in result.err
    assert "1 temperature (°C)" in result.err
    assert not (tmp_path / "x.png").exists()


def test_plot_help_lists_the_channels(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["telemetry", "plot", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for channel in ("1 temperature (°C)", "2 humidity (%RH)", "4 current (A)", "6 running (0 = no, 1 = yes)"):
        assert channel in text


def test_followed_readings_are_one_readable_line(story: Story) -> None:
    from chain_client.cli.telemetry import _line
    from chain_client.client import LedgerClient

    with LedgerClient(story.backend.url) as client:
        row = next(r for r in client.telemetry(token=story.token, status="verified") if r.seq == 1)
    assert re.fullmatch(
        rf"{story.batch}/0 {ISO.pattern} device {row.device} \({story.token}\) boot 1 seq 1, "
        r"run 0\.17 machine-hours: temperature 21\.50 °C, running yes",
        _line(row),
    )
