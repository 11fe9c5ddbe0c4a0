"""The page rules of filtered lists: every row once, in order, under a bounded scan (backend/paging.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from backend import paging
from backend.books import Posting
from backend.state import Payout


def _invoices() -> dict[str, Any]:
    """Nine invoices; account "a" has 0, 1 or 2 lines in each, among lines to "b"."""
    out: dict[str, Any] = {}
    for n in range(9):
        lines = [Payout("b", "fee", 1, 10)] + [Payout("a", "share", 100 * n + k, 1) for k in range(n % 3)]
        out[f"inv-{n}"] = SimpleNamespace(payouts=lines)
    return out


def _all_payouts(invoices: dict[str, Any], limit: int) -> tuple[list[int], int]:
    rows: list[int] = []
    start: tuple[str, int] | None = None
    pages = 0
    while True:
        lines, last = paging.payouts_page(cast(Any, invoices), "a", start, limit)
        rows += [line["amount"] for line in lines]
        pages += 1
        if last is None:
            return rows, pages
        start = paging.payout_key(last)


@pytest.mark.parametrize("limit", [1, 2, 3, 1000])
def test_payout_pages_hold_every_line_once_in_order(limit: int) -> None:
    invoices = _invoices()
    every = [p.amount for _, inv in sorted(invoices.items()) for p in inv.payouts if p.account == "a"]
    rows, _ = _all_payouts(invoices, limit)
    assert rows == every


def test_a_scan_budget_ends_a_page_early_and_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "SCAN_BUDGET", 2)
    invoices = _invoices()
    rows, pages = _all_payouts(invoices, 1000)
    assert len(rows) == 9
    assert pages >= 4
    journal = [Posting(n, "x" if n % 5 else "acct", "y", n, "") for n in range(23)]
    found: list[int] = []
    start = 0
    while True:
        lines, last = paging.journal_page(journal, "acct", start, 1000)
        found += [p.amount for p in lines]
        if last is None:
            break
        start = last[0] + 1
    assert found == [0, 5, 10, 15, 20]
