"""The published credit score (docs/credit.md): 0..100, a band, each factor's contribution explained.

Integers only, so every party that folds the same log entries gets the same number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chain_client.credit.book import HOUR, CreditBook
from chain_client.credit.facts import InvoiceFact, LeaseFact, Party

DAY = 86_400
BASE = 50
FACTORS = ("tenure", "payments", "leases", "security", "telemetry", "reviews")
BANDS = ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (0, "E"))
DEFAULT_DAYS = 30  # an invoice this long past due, paid or not, puts its lease in default
THIN_DAYS = 90
THIN_SETTLED = 3
MIN_COVERAGE_HOURS = 24
SHOWN = 50  # explanation lines per factor; the factor's total always counts every item


@dataclass(frozen=True)
class Line:
    """One explained contribution: ``points`` to ``factor``, for the reason ``text``."""

    factor: str
    points: int
    text: str

    def __str__(self) -> str:
        return f"{signed(self.points)}: {self.text}"


@dataclass(frozen=True)
class Score:
    """An enterprise's credit score at ledger time ``at``."""

    account: str
    at: int
    score: int
    band: str
    thin_file: bool
    factors: dict[str, int]
    lines: list[Line]

    def to_json(self) -> dict[str, Any]:
        """The API's and the CLI's JSON form."""
        return {
            "account": self.account,
            "at": self.at,
            "score": self.score,
            "band": self.band,
            "thin_file": self.thin_file,
            "base": BASE,
            "factors": self.factors,
            "lines": [{"factor": x.factor, "points": x.points, "text": str(x)} for x in self.lines],
        }


def signed(points: int) -> str:
    """Points as people write them: ``+3``, ``+0``, and a minus sign (U+2212) before a loss."""
    return f"+{points}" if points >= 0 else f"\u2212{-points}"


def band_of(score: int) -> str:
    """The letter band of a score: A >= 80, B >= 65, C >= 50, D >= 35, E below."""
    return next(letter for floor, letter in BANDS if score >= floor)


def _days(seconds: int) -> int:
    """Whole days, any part of a day counting as one."""
    return -(-seconds // DAY)


def _tenure(party: Party, at: int) -> list[Line]:
    if not party.certified_at:
        return [Line("tenure", 0, "not certified")]
    days = (at - party.certified_at) // DAY
    return [Line("tenure", min(10, days // 30), f"certified {days} days (1 point per 30 days, at most 10)")]


def _invoice_line(inv: InvoiceFact, at: int) -> Line | None:
    if inv.paid_at and inv.paid_at <= inv.due:
        return None
    if inv.paid_at:
        late = _days(inv.paid_at - inv.due)
        return Line("payments", -min(10, 2 + late // 2), f"invoice {inv.id} paid {late} days late")
    if at > inv.due:
        late = _days(at - inv.due)
        return Line("payments", -min(15, 3 + late // 2), f"invoice {inv.id} unpaid, {late} days past due")
    return None


def _payments(book: CreditBook, party: Party, at: int) -> list[Line]:
    invoices = [book.invoices[i] for i in party.invoices]
    on_time = sum(1 for i in invoices if i.paid_at and i.paid_at <= i.due)
    lines = [
        Line("payments", min(20, on_time), f"{on_time} invoices paid on time (1 point each, at most 20)")
    ]
    lines += [line for inv in invoices if (line := _invoice_line(inv, at)) is not None]
    return lines


def defaults(book: CreditBook, party: Party, at: int) -> dict[str, str]:
    """Each lease of ``party`` in default, with the first invoice that put it there (``DEFAULT_DAYS`` past
    due, paid or not): one pass over its invoices."""
    found: dict[str, str] = {}
    for iid in party.invoices:
        inv = book.invoices[iid]
        if inv.lease not in found and (inv.paid_at or at) - inv.due > DEFAULT_DAYS * DAY:
            found[inv.lease] = inv.id
    return found


def _leases(book: CreditBook, party: Party, at: int) -> list[Line]:
    completed, lines = 0, []
    bad_leases = defaults(book, party, at)
    for lid in party.leases:
        found = book.leases[lid]
        bad = bad_leases.get(lid, "")
        if bad:
            lines.append(Line("leases", -15, f"lease {lid} defaulted: invoice {bad} over 30 days past due"))
        elif found.closed_at:
            completed += 1
    head = Line("leases", min(15, 3 * completed), f"{completed} leases completed (3 points each, at most 15)")
    return [head, *lines]


def _security(book: CreditBook, party: Party) -> list[Line]:
    held = [
        f"deposit {f.deposit} of lease {f.id}"
        for f in map(book.leases.get, party.leases)
        if f and not f.closed_at and f.deposit
    ]
    held += [
        f"guarantee {g.id} of {g.amount}"
        for g in map(book.guarantees.get, party.guarantees)
        if g and not g.settled_at
    ]
    points = min(6, 2 * len(held))
    shown = ", ".join(held[:5]) + (f" and {len(held) - 5} more" if len(held) > 5 else "")
    return [
        Line("security", points, f"{len(held)} held in escrow (2 points each, at most 6): {shown or 'none'}")
    ]


def _span(found: LeaseFact, at: int) -> tuple[int, int]:
    start = max(found.start, found.signed_at)
    end = min(found.end, found.closed_at or at)
    return start, max(start, end)


def coverage(book: CreditBook, party: Party, at: int) -> tuple[int, int]:
    """(covered, expected) hours of the machines ``party`` runs as lessee, up to ``at``."""
    covered = expected = 0
    for lid in party.leases:
        found = book.leases[lid]
        start, end = _span(found, at)
        expected += (end - start) // HOUR
        if found.closed_at:
            covered += found.covered_count
        else:
            covered += sum(1 for s in found.covered if start <= s * HOUR and (s + 1) * HOUR <= end)
    return min(covered, expected), expected


def _telemetry(book: CreditBook, party: Party, at: int) -> list[Line]:
    covered, expected = coverage(book, party, at)
    if expected < MIN_COVERAGE_HOURS:
        return [Line("telemetry", 0, f"{expected} hours of machine time so far, too few to judge coverage")]
    points = (20 * covered) // expected - 10
    share = 100 * covered // expected
    return [Line("telemetry", points, f"telemetry covered {covered} of {expected} expected hours ({share}%)")]


def _reviews(party: Party) -> list[Line]:
    if not party.ratings:
        return [Line("reviews", 0, "no ratings received")]
    total = sum(r.rating for r in party.ratings)
    points = max(-10, min(10, 2 * (total - 3 * len(party.ratings))))
    tenths = (10 * total) // len(party.ratings)
    return [Line("reviews", points, f"{len(party.ratings)} ratings, mean {tenths // 10}.{tenths % 10} of 5")]


def _thin(book: CreditBook, party: Party, at: int) -> bool:
    settled = sum(1 for i in party.invoices if book.invoices[i].paid_at)
    completed = sum(1 for lid in party.leases if book.leases[lid].closed_at)
    young = not party.certified_at or at - party.certified_at < THIN_DAYS * DAY
    return young or (settled < THIN_SETTLED and completed == 0 and len(party.ratings) < THIN_SETTLED)


def score(book: CreditBook, account: str, at: int | None = None) -> Score:
    """The credit score of ``account`` at ``at`` (default: the time of the last entry folded in)."""
    when = book.time if at is None else at
    party = book.parties.get(account, Party())
    lines = [
        *_tenure(party, when),
        *_payments(book, party, when),
        *_leases(book, party, when),
        *_security(book, party),
        *_telemetry(book, party, when),
        *_reviews(party),
    ]
    factors = {f: sum(x.points for x in lines if x.factor == f) for f in FACTORS}
    total = max(0, min(100, BASE + sum(factors.values())))
    shown = [x for f in FACTORS for x in [y for y in lines if y.factor == f][:SHOWN]]
    return Score(account, when, total, band_of(total), _thin(book, party, when), factors, shown)
