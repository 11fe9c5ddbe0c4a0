"""What "trace this payout" checks in the browser: one invoice down to the log (static/trace.js).

invoice → the readings its usage rests on (the evidence list) → each reading's signed bytes and its
sensor's key → the batches that carry them → each batch entry's inclusion in the signed log. The
explorer only gathers the data from the API; the page recomputes every link itself.
"""

from __future__ import annotations

from typing import Any

from chain_client import human
from chain_client.client import LedgerClient, NotFoundError
from chain_client.client import models as m
from explorer import pages

MAX_READINGS = 1000  # a period with more is checked offline (leasechain audit)
MAX_BATCHES = 20
MAX_MESSAGES = 40_000  # the messages of all its batches, sent to the browser to rebuild their roots


def _invoice(client: LedgerClient, lease_id: str, period: int) -> m.Invoice:
    found = client.lease(lease_id)
    for invoice in found.invoices:
        if invoice.period == period:
            return invoice
    raise NotFoundError(404, "not_found", f"lease {lease_id!r} has no invoice for period {period}")


def _too_much(why: str, invoice: m.Invoice) -> dict[str, Any]:
    return {"invoice": invoice.model_dump(), "too_much": why}


def trace(client: LedgerClient, lease_id: str, period: int) -> dict[str, Any]:
    """The invoice, its evidence readings, their sensors' keys, their batches and the batches' proofs."""
    invoice = _invoice(client, lease_id, period)
    token = client.lease(lease_id).token
    readings = [
        r
        for r in client.iter_telemetry(token=token, since=invoice.start, until=invoice.end, status="verified")
        if r.increment > 0
    ][: MAX_READINGS + 1]
    if len(readings) > MAX_READINGS:
        return _too_much(f"more than {MAX_READINGS} readings", invoice)
    batch_ids = sorted({r.batch for r in readings})
    if len(batch_ids) > MAX_BATCHES:
        return _too_much(f"readings in more than {MAX_BATCHES} batches", invoice)
    batches: dict[str, Any] = {}
    for index in batch_ids:
        found = client.batch(index)
        batches[str(index)] = {"messages": found.messages, "proof": pages.proof(client, index)}
        if sum(len(b["messages"]) for b in batches.values()) > MAX_MESSAGES:
            return _too_much(f"batches of more than {MAX_MESSAGES} messages", invoice)
    info = client.info()
    devices = {d: client.device(d).public_key for d in sorted({r.device for r in readings})}
    return {
        "invoice": invoice.model_dump(),
        "evidence": sorted([r.batch, r.position, r.increment] for r in readings),
        "devices": devices,
        "batches": batches,
        "log_key": info.log_key,
        "currency": info.currency,
        "decimals": human.minor_units(info.currency),
    }
