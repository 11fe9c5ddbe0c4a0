"""Invoices from fixed terms and verified machine-hours; payment and its exact distribution."""

from __future__ import annotations

from typing import Any

from backend.books import settlement
from backend.domain.context import Context, lease, refuse
from backend.errors import BackendError
from backend.readings import Readings
from backend.state import Invoice, Lease, Payout
from chain_client.ledger.distribution import distribute
from chain_client.ledger.due import due_date, on_time
from chain_client.ledger.evidence import Evidence, mismatch, period_evidence
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.usage import usage_charge


def invoice_id(lease_id: str, period: int) -> str:
    """The id of a lease's invoice for one period."""
    return f"{lease_id}.{period}"


def period_bounds(found: Lease, period: int) -> tuple[int, int]:
    """``[start, end)`` of a lease's period; ``bad_period`` when the lease has no such period."""
    if period >= found.periods:
        raise refuse(
            TxReason.BAD_PERIOD, f"lease {found.id!r} has periods 0..{found.periods - 1}, not {period}"
        )
    start = found.start + period * found.period
    return start, start + found.period


def ended_period_evidence(readings: Readings, found: Lease, period: int, now: int, before: int) -> Evidence:
    """The evidence of an ended period, from the readings of batches before log entry ``before``."""
    start, end = period_bounds(found, period)
    if now < end:
        raise refuse(TxReason.PERIOD_NOT_ENDED, f"period {period} of {found.id!r} ends at {end}, it is {now}")
    return period_evidence(readings.increments(found.token, start, end, before), start, end)


def issue_invoice(ctx: Context) -> dict[str, Any]:
    """The token's owner, the lessee or a reviewer invoices an ended period, naming its evidence."""
    found = lease(ctx, ctx.args["lease"])
    tok = ctx.state.tokens[found.token]
    if ctx.signer not in (tok.owner, found.lessee) and ctx.signer not in ctx.state.reviewers:
        raise refuse(
            TxReason.NOT_OWNER,
            f"signer {ctx.signer} is neither the owner of {tok.id!r}, the lessee nor a reviewer",
        )
    if found.status != "active":
        raise refuse(TxReason.LEASE_NOT_ACTIVE, f"lease {found.id!r} is {found.status}, not active")
    period = ctx.args["period"]
    if ctx.readings is None:
        raise BackendError("issuing an invoice needs the ledger's readings")
    evidence = ended_period_evidence(ctx.readings, found, period, ctx.time, ctx.index)
    if period in found.invoices:
        raise refuse(
            TxReason.ALREADY_INVOICED, f"period {period} of {found.id!r} is invoice {found.invoices[period]}"
        )
    # The signer states what it bills for; the ledger bills only what its own meter proves, so an
    # auditor can later hold the bundle's readings against the signed list.
    wrong = mismatch(evidence, ctx.args["usage_seconds"], ctx.args["evidence"])
    if wrong:
        raise refuse(TxReason.EVIDENCE_MISMATCH, f"invoice of period {period} of {found.id!r} {wrong}")
    seconds = evidence.usage_seconds
    charge = usage_charge(found.usage_rate, seconds)
    iid = invoice_id(found.id, period)
    invoice = Invoice(
        id=iid,
        lease=found.id,
        period=period,
        start=evidence.start,
        end=evidence.end,
        due=due_date(evidence.end, found.grace, ctx.time, by_lessee=ctx.signer == found.lessee),
        fixed=found.fixed_rent,
        usage_seconds=seconds,
        usage_charge=charge,
        amount=found.fixed_rent + charge,
        holders=tok.holdings_at(evidence.end),
        issued_at=ctx.time,
        evidence=evidence.digest,
    )
    ctx.state.invoices[iid] = invoice
    found.invoices[period] = iid
    return {
        "invoice": iid,
        "amount": invoice.amount,
        "usage_seconds": seconds,
        "usage_charge": charge,
        "evidence": evidence.digest.hex(),
        "evidence_count": evidence.count,
    }


def pay_invoice(ctx: Context) -> dict[str, Any]:
    """The lessee pays an invoice; it is distributed at once, fees first, then holders."""
    invoice = ctx.state.invoices.get(ctx.args["invoice"])
    if invoice is None:
        raise refuse(TxReason.UNKNOWN_INVOICE, f"invoice {ctx.args['invoice']!r} does not exist")
    found = ctx.state.leases[invoice.lease]
    if ctx.signer != found.lessee:
        raise refuse(TxReason.NOT_LESSEE, f"signer {ctx.signer} is not the lessee of {found.id!r}")
    if invoice.paid_at:
        raise refuse(TxReason.ALREADY_PAID, f"invoice {invoice.id!r} was paid at {invoice.paid_at}")
    books, payer = ctx.state.books, settlement(ctx.signer)
    if not books.can_pay(payer, invoice.amount):
        raise refuse(
            TxReason.INSUFFICIENT_FUNDS,
            f"{payer} holds {books.balance(payer)}, invoice {invoice.id!r} is {invoice.amount}",
        )
    split = distribute(invoice.amount, found.fees, invoice.holders)
    memo = f"rent {invoice.id}"
    fee_bps = dict(found.fees)
    for account, amount in split.fees:
        books.post(ctx.index, payer, settlement(account), amount, memo)
        invoice.payouts.append(Payout(account, "fee", amount, fee_bps[account]))
    for account, amount in split.holders:
        books.post(ctx.index, payer, settlement(account), amount, memo)
        invoice.payouts.append(Payout(account, "share", amount, invoice.holders[account]))
    invoice.paid_at = ctx.time
    ctx.state.rent_paid += invoice.amount
    invoice.on_time = on_time(ctx.time, invoice.due)
    credit = ctx.state.enterprises[found.lessee].credit
    if invoice.on_time:
        credit.on_time_payments += 1
    else:
        credit.late_payments += 1
    return {
        "invoice": invoice.id,
        "paid": invoice.amount,
        "on_time": invoice.on_time,
        "payouts": len(invoice.payouts),
    }
