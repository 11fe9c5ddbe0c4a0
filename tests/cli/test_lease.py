"""A whole lease through the CLI, by every role, against a real backend: the ledger's books at the end."""

from __future__ import annotations

from pathlib import Path

from chain_client.ledger.distribution import distribute
from chain_client.ledger.usage import usage_charge
from tests.cli.story import FEE_BPS, FIXED_RENT, RUN_STEP, USAGE_RATE, Story


def test_the_invoice_charges_fixed_rent_plus_verified_machine_hours(story: Story) -> None:
    usage = 3 * RUN_STEP  # four readings: the first is the baseline
    assert story.invoice["usage_seconds"] == usage
    assert story.invoice["amount"] == FIXED_RENT + usage_charge(USAGE_RATE, usage)


def test_the_payment_is_distributed_exactly_to_the_fee_and_the_holders(story: Story) -> None:
    a = story.accounts
    amount = story.invoice["amount"]
    split = distribute(amount, [(a["operator"], FEE_BPS)], {a["maker"]: 70, a["investor"]: 30})
    lines = {(p["account"], p["kind"]): p["amount"] for p in story.invoice["payouts"]}
    assert lines == {
        **{(acc, "fee"): n for acc, n in split.fees},
        **{(acc, "share"): n for acc, n in split.holders},
    }
    assert sum(lines.values()) == amount
    investor = story.cli.ok("rent", "payouts", "investor")
    assert investor == [
        {
            "invoice": story.invoice["id"],
            "kind": "share",
            "amount": lines[(a["investor"], "share")],
            "basis": 30,
        }
    ]


def test_balances_after_the_lease(story: Story) -> None:
    cli, amount = story.cli, story.invoice["amount"]
    # the lessee paid the rent and got its deposit back on closing
    assert cli.ok("account", "balance", "lessee")["balance"] == 50_000 - amount
    # the investor paid 30 shares at 10 and earned its pro-rata share
    share = next(p["amount"] for p in story.invoice["payouts"] if p["account"] == story.accounts["investor"])
    assert cli.ok("account", "balance", "investor")["balance"] == 1000 - 300 + share
    assert cli.ok("account", "balance", f"escrow:{story.lease}")["balance"] == 0
    lease = cli.ok("lease", "show", story.lease)
    assert lease["status"] == "closed"
    assert cli.ok("token", "status", story.token)["status"] == "returned"


def test_a_withdrawal_leaves_the_platform(story: Story) -> None:
    cli = story.cli
    before = cli.ok("account", "balance", "--key", "investor")["balance"]
    cli.ok("account", "withdraw", "100", "--reference", "payout-1", key="investor")
    assert cli.ok("account", "balance", "investor")["balance"] == before - 100


def test_human_output_is_a_table(story: Story) -> None:
    result = story.cli.run("shares", "holders", story.token)
    assert result.code == 0
    header, *rows = result.out.splitlines()
    assert header.split() == ["HOLDER", "SHARES", "PERCENT"]
    assert rows[0].split() == ["maker", "GmbH", f"({story.accounts['maker'][:8]}…)", "70", "70.00", "%"]
    listing = story.cli.run("enterprise", "list").out
    assert "maker GmbH" in listing
    assert "approved" in listing


def test_a_lessee_rates_the_gateway_service(story: Story, tmp_path: Path) -> None:
    # A review follows a delivery of the service to the reviewer (docs/ledger.md, review_service).
    order = story.cli.ok(
        "market",
        "engage",
        "gateway",
        "--subject",
        story.token,
        "--scope",
        "setup",
        "--fee",
        "1",
        "--due",
        "+86400",
        key="lessee",
    )["result"]["order"]
    report = tmp_path / "setup.txt"
    report.write_text("gateway set up and anchoring")
    story.cli.ok("market", "deliver", order, str(report), key="gateway")
    story.cli.ok(
        "enterprise", "review-service", "gateway", "--rating", "4", "--comment", "solid", key="lessee"
    )
    credit = story.cli.ok("enterprise", "show", "gateway")
    assert credit["credit.reviews_received"] == 1
    assert credit["credit.mean_rating"] == 4.0
    again = story.cli.run("enterprise", "review-service", "gateway", "--rating", "5", key="lessee")
    assert again.code == 1
    assert "already_reviewed" in again.err


def test_token_approval_is_set_and_cleared(story: Story) -> None:
    story.cli.ok("token", "approve", story.token, "investor", key="maker")
    assert story.cli.ok("token", "status", story.token)["approved"] == story.accounts["investor"]
    story.cli.ok("token", "approve", story.token, "none", key="maker")
    assert story.cli.ok("token", "status", story.token)["approved"] == ""
