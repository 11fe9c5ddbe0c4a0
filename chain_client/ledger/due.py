"""When rent falls due, and whether a payment was on time: the ledger's judgement, shared with auditors."""

from __future__ import annotations


def due_date(period_end: int, grace: int, issued_at: int, *, by_lessee: bool) -> int:
    """When an invoice falls due: ``grace`` seconds after the period's end, or after its issue.

    The lessee may issue its own invoice as soon as the period ends, so it can always pay by
    period end + grace.  An owner or a reviewer who invoices later gives the lessee its full
    grace from the issue instead: the owner's timing never makes a payment late, and the
    lessee cannot put its own due date off by invoicing itself late.
    """
    if by_lessee:
        return period_end + grace
    return max(period_end, issued_at) + grace


def on_time(paid_at: int, due: int) -> bool:
    """A payment is on time up to and including its due date."""
    return paid_at <= due
