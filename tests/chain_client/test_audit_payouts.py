"""The auditor's payouts checks, each on its own: given the log's facts and a claimed invoice."""

from __future__ import annotations

from typing import Any

from chain_client.audit import payouts
from chain_client.client.models import Invoice, Payout

NAME = "invoice inv-1"
FEES = [("platform", 250)]
HELD = {"maker": 70, "alice": 30}


def _invoice(**over: Any) -> Invoice:
    fields: dict[str, Any] = {
        "id": "inv-1", "lease": "l-1", "period": 0, "start": 0, "end": 3600, "due": 7200, "fixed": 10_000,
        "usage_seconds": 0, "usage_charge": 0, "amount": 10_000, "holders": HELD, "issued_at": 3600,
        "paid_at": 5000, "on_time": True,
        "payouts": [line.model_dump() for line in payouts.owed(10_000, FEES, HELD)],
    }  # fmt: skip
    fields.update(over)
    return Invoice.model_validate(fields)


def _line(account: str, kind: str, amount: int, basis: int) -> dict[str, Any]:
    return {"account": account, "kind": kind, "amount": amount, "basis": basis}


def test_the_distribution_gives_fees_first_then_holders_summing_to_the_amount() -> None:
    lines = payouts.owed(10_000, FEES, HELD)
    assert [(p.account, p.kind, p.amount, p.basis) for p in lines] == [
        ("platform", "fee", 250, 250),
        ("alice", "share", 2925, 30),  # holders in account order
        ("maker", "share", 6825, 70),
    ]


def test_a_true_invoice_passes_every_check() -> None:
    claim = _invoice()
    expected = payouts.owed(10_000, FEES, HELD)
    assert payouts.payment_entry(True, NAME) == []
    assert payouts.payment_time(claim, 5000, 7200, NAME) == []
    assert payouts.lines_sum(claim, NAME) == []
    assert payouts.owed_lines(expected, claim, NAME) == []
    assert payouts.unowed_lines(expected, claim, NAME) == []


def test_an_unpaid_invoice_that_claims_nothing_has_no_distribution_to_check() -> None:
    assert payouts.unpaid_and_unclaimed(False, _invoice(paid_at=0, on_time=False, payouts=[]))
    assert not payouts.unpaid_and_unclaimed(False, _invoice())  # claims a payment the log lacks
    assert payouts.payment_entry(False, NAME)[0].detail.startswith("no pay_invoice entry by the lessee")


def test_a_payment_time_and_on_time_flag_the_log_does_not_give_fail() -> None:
    failures = payouts.payment_time(_invoice(paid_at=4000, on_time=True), 8000, 7200, NAME)
    assert [f.where for f in failures] == [NAME, f"{NAME} field 'on_time'"]
    assert "paid at 8000 by the log, claimed 4000" in failures[0].detail
    assert "computed False, claimed True" in failures[1].detail


def test_lines_that_do_not_sum_to_the_amount_fail() -> None:
    claim = _invoice(amount=10_001)
    detail = payouts.lines_sum(claim, NAME)[0].detail
    assert detail == "the payout lines sum to 10000, the invoice amount is 10001"
    assert payouts.lines_sum(_invoice(payouts=[]), NAME)[0].detail == "the invoice claims no payout lines"


def test_a_shifted_share_is_named_by_both_lines_even_when_the_sum_holds() -> None:
    claim = _invoice(
        payouts=[
            _line("platform", "fee", 250, 250),
            _line("maker", "share", 6826, 70),
            _line("alice", "share", 2924, 30),
        ]
    )
    expected = payouts.owed(10_000, FEES, HELD)
    assert payouts.lines_sum(claim, NAME) == []
    wheres = [f.where for f in payouts.owed_lines(expected, claim, NAME)]
    assert wheres == [f"{NAME} share line of alice", f"{NAME} share line of maker"]


def test_a_line_nobody_is_owed_and_a_doubled_line_fail() -> None:
    expected = payouts.owed(10_000, FEES, HELD)
    lines = [p.model_dump() for p in expected]
    claim = _invoice(payouts=[*lines, _line("mallory", "fee", 1, 1), lines[2]])
    assert [f.where for f in payouts.unowed_lines(expected, claim, NAME)] == [f"{NAME} line of mallory"]
    doubled = payouts.owed_lines(expected, claim, NAME)
    assert [f.where for f in doubled] == [f"{NAME} share line of maker"]
    assert isinstance(claim.payouts[0], Payout)
