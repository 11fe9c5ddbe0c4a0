"""The credit formula against docs/credit.md's worked examples, line by line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chain_client.credit.book import CreditBook
from chain_client.credit.facts import InvoiceFact, LeaseFact, Party, RatingFact
from chain_client.credit.score import band_of, score
from chain_client.market.policy import deposit_cap

DOC = Path(__file__).resolve().parents[2] / "docs" / "credit.md"
AT = 1_720_000_000
DAY = 86_400
HOUR = 3600


def _lease(book: CreditBook, lid: str, lessee: str, start: int, end: int, **over: int) -> LeaseFact:
    found = LeaseFact(lid, "tok-1", lessee, start, end, DAY, 1000, 0, HOUR, 500, signed_at=start)
    for key, value in over.items():
        setattr(found, key, value)
    book.leases[lid] = found
    book.parties[lessee].leases.append(lid)
    return found


def _invoice(book: CreditBook, iid: str, lessee: str, due: int, paid_at: int = 0) -> None:
    lease = iid.rsplit(".", 1)[0]
    book.invoices[iid] = InvoiceFact(iid, lease, lessee, 1000, due, paid_at)
    book.parties[lessee].invoices.append(iid)


def example_a() -> CreditBook:
    """A lessee with 200 days of history, one late and one unpaid invoice, good telemetry."""
    book = CreditBook(time=AT)
    book.parties["a"] = Party(certified_at=AT - 200 * DAY)
    active = _lease(book, "lease-a", "a", AT - 10 * DAY, AT + 20 * DAY)
    active.covered = [(AT - 10 * DAY) // HOUR + 1 + i for i in range(216)]
    _lease(book, "lease-b", "a", AT - 60 * DAY, AT - 55 * DAY, closed_at=AT - 54 * DAY, covered_count=120)
    for period in range(5):
        _invoice(book, f"lease-b.{period}", "a", due=AT - 50 * DAY, paid_at=AT - 51 * DAY)
    _invoice(book, "lease-a.5", "a", due=AT - 20 * DAY, paid_at=AT - 11 * DAY)
    _invoice(book, "lease-a.6", "a", due=AT - 4 * DAY)
    return book


def example_b() -> CreditBook:
    """A lessee certified 20 days ago, nothing else yet."""
    return CreditBook(parties={"b": Party(certified_at=AT - 20 * DAY)}, time=AT)


def example_c() -> CreditBook:
    """An inspection service certified 400 days ago, rated 5, 5 and 4."""
    ratings = [RatingFact("c", f"client-{i}", r, AT - DAY, f"order-{i}") for i, r in enumerate((5, 5, 4))]
    return CreditBook(parties={"c": Party(certified_at=AT - 400 * DAY, ratings=ratings)}, time=AT)


def example_d() -> CreditBook:
    """A lessee whose first invoice is 40 days past due, and whose machine sends nothing."""
    book = CreditBook(parties={"d": Party(certified_at=AT - 100 * DAY)}, time=AT)
    _lease(book, "lease-d", "d", AT - 60 * DAY, AT + 300 * DAY)
    _invoice(book, "lease-d.0", "d", due=AT - 40 * DAY)
    return book


EXAMPLES = {
    "a": (
        example_a,
        63,
        "C",
        False,
        [
            "+6: certified 200 days (1 point per 30 days, at most 10)",
            "+5: 5 invoices paid on time (1 point each, at most 20)",
            "\u22126: invoice lease-a.5 paid 9 days late",
            "\u22125: invoice lease-a.6 unpaid, 4 days past due",
            "+3: 1 leases completed (3 points each, at most 15)",
            "+2: 1 held in escrow (2 points each, at most 6): deposit 500 of lease lease-a",
            "+8: telemetry covered 336 of 360 expected hours (93%)",
            "+0: no ratings received",
        ],
    ),
    "b": (example_b, 50, "C", True, ["+0: certified 20 days (1 point per 30 days, at most 10)"]),
    "c": (
        example_c,
        70,
        "B",
        False,
        ["+10: certified 400 days (1 point per 30 days, at most 10)", "+10: 3 ratings, mean 4.6 of 5"],
    ),
    "d": (
        example_d,
        15,
        "E",
        True,
        [
            "+3: certified 100 days (1 point per 30 days, at most 10)",
            "\u221215: invoice lease-d.0 unpaid, 40 days past due",
            "\u221215: lease lease-d defaulted: invoice lease-d.0 over 30 days past due",
            "+2: 1 held in escrow (2 points each, at most 6): deposit 500 of lease lease-d",
            "\u221210: telemetry covered 0 of 1440 expected hours (0%)",
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_worked_examples_of_the_docs(name: str) -> None:
    build, total, band, thin, lines = EXAMPLES[name]
    result = score(build(), name)
    shown = [str(line) for line in result.lines]
    assert (result.score, result.band, result.thin_file) == (total, band, thin)
    assert set(lines) <= set(shown), shown
    assert sum(result.factors.values()) + 50 == total
    text = DOC.read_text()
    for line in lines:
        assert line in text, f"docs/credit.md lacks the line {line!r} of example {name}"
    assert re.search(rf"score \*\*{total}\*\*, band \*\*{band}\*\*", text), f"example {name}'s total"


def test_the_score_is_clamped_and_banded() -> None:
    assert [band_of(s) for s in (100, 80, 79, 65, 64, 50, 49, 35, 34, 0)] == list("AABBCCDDEE")
    book = example_d()
    for i in range(1, 8):
        _lease(book, f"lease-x{i}", "d", AT - 60 * DAY, AT + 300 * DAY)
        _invoice(book, f"lease-x{i}.0", "d", due=AT - 40 * DAY)
    assert score(book, "d").score == 0


def test_the_deposit_policy_follows_the_band() -> None:
    assert deposit_cap(5000, score(example_a(), "a")) == 4250  # band C: 85 %
    assert deposit_cap(5000, score(example_b(), "b")) == 5000  # thin file: all of it
    assert deposit_cap(5000, score(example_c(), "c")) == 3500  # band B: 70 %
    assert deposit_cap(5001, score(example_c(), "c")) == 3500  # rounded down


def test_an_unknown_account_scores_the_base_and_is_thin() -> None:
    result = score(CreditBook(time=AT), "nobody")
    assert (result.score, result.thin_file, result.lines[0].text) == (50, True, "not certified")
