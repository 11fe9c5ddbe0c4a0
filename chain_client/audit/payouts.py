"""The auditor's payouts check, as named checks each testable on its own.

Each check takes what the log gives (the payment's time, the distribution of
:mod:`chain_client.ledger.distribution`) and what the ledger claims (the
invoice as served), and returns the failures it finds, none when it holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chain_client.audit.report import Failure
from chain_client.client.models import Invoice, Payout
from chain_client.ledger.distribution import distribute
from chain_client.ledger.due import on_time

CHECK = "payouts"


def unit(kind: str) -> str:
    """Unit of a payout line's basis."""
    return "bps" if kind == "fee" else "shares"


def shown(lines: Sequence[Payout]) -> str:
    """Claimed payout lines in words."""
    if not lines:
        return "no line"
    return "; ".join(f"{line.amount} ({line.basis} {unit(line.kind)})" for line in lines)


def owed(amount: int, fees: Sequence[tuple[str, int]], held: Mapping[str, int]) -> list[Payout]:
    """The payout lines the distribution gives: fees first (basis in bps), then holders (in shares)."""
    split = distribute(amount, fees, held)
    bps = dict(fees)
    return [Payout(account=a, kind="fee", amount=n, basis=bps[a]) for a, n in split.fees] + [
        Payout(account=a, kind="share", amount=n, basis=held[a]) for a, n in split.holders
    ]


def unpaid_and_unclaimed(paid: bool, claim: Invoice) -> bool:
    """Issued, not paid yet, and the ledger claims no payment: there is no distribution to check."""
    return not paid and not claim.paid_at and not claim.payouts and not claim.on_time


def payment_entry(paid: bool, name: str) -> list[Failure]:
    """The lessee paid the invoice by a pay_invoice entry after it was issued."""
    if paid:
        return []
    return [Failure(CHECK, name, "no pay_invoice entry by the lessee after the invoice was issued")]


def payment_time(claim: Invoice, paid_at: int, due: int | None, name: str) -> list[Failure]:
    """The claimed payment time is the log's, and on time is what the due date says."""
    failures = []
    if claim.paid_at != paid_at:
        failures.append(Failure(CHECK, name, f"paid at {paid_at} by the log, claimed {claim.paid_at!r}"))
    if due is not None and claim.on_time != on_time(paid_at, due):
        failures.append(
            Failure(
                CHECK,
                f"{name} field 'on_time'",
                f"paid at {paid_at} with the invoice due at {due}: computed {on_time(paid_at, due)}, "
                f"claimed {claim.on_time!r}",
            )
        )
    return failures


def lines_sum(claim: Invoice, name: str) -> list[Failure]:
    """The claimed payout lines sum to the claimed amount (payouts sum to rent)."""
    if not claim.payouts:
        return [Failure(CHECK, name, "the invoice claims no payout lines")]
    total = sum(line.amount for line in claim.payouts)
    if total == claim.amount:
        return []
    return [Failure(CHECK, name, f"the payout lines sum to {total}, the invoice amount is {claim.amount!r}")]


def owed_lines(expected: Sequence[Payout], claim: Invoice, name: str) -> list[Failure]:
    """Every line the distribution gives is claimed exactly once, with its amount and basis."""
    failures = []
    for want in expected:
        got = [c for c in claim.payouts if c.account == want.account and c.kind == want.kind]
        if got != [want]:
            failures.append(
                Failure(
                    CHECK,
                    f"{name} {want.kind} line of {want.account}",
                    f"computed {want.amount} ({want.basis} {unit(want.kind)}), claimed {shown(got)}",
                )
            )
    return failures


def unowed_lines(expected: Sequence[Payout], claim: Invoice, name: str) -> list[Failure]:
    """No claimed line pays an account, as a fee or a share, that the distribution owes nothing."""
    owed_to = {(w.account, w.kind) for w in expected}
    return [
        Failure(CHECK, f"{name} line of {c.account}", f"claimed {c.model_dump()} but nobody is owed it")
        for c in claim.payouts
        if (c.account, c.kind) not in owed_to
    ]
