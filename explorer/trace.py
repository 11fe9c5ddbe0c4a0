"""What "trace this payout" checks in the browser: one invoice down to the log (static/trace.js).

invoice → the readings its usage rests on (the evidence list) → each reading's signed bytes and its
sensor's key → the batches that carry them → each batch entry's inclusion in the signed log. The
explorer only gathers the data from the API; the page recomputes every link itself.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from chain_client import human
from chain_client.client import LedgerClient, NotFoundError
from chain_client.client import models as m
from explorer import pages

MAX_READINGS = 1000  # a period with more is checked offline (leasechain audit)
MAX_BATCHES = 20
MAX_MESSAGES = 40_000  # the messages of all its batches, sent to the browser to rebuild their roots


def _invoice(found: m.Lease, period: int) -> m.Invoice:
    for invoice in found.invoices:
        if invoice.period == period:
            return invoice
    raise NotFoundError(404, "not_found", f"lease {found.id!r} has no invoice for period {period}")


def _too_much(why: str, invoice: m.Invoice) -> dict[str, Any]:
    return {"invoice": invoice.model_dump(), "too_much": why}


def _evidence(client: LedgerClient, token: str, invoice: m.Invoice) -> list[m.TelemetryReading]:
    """The period's verified readings with an increment, up to one more than :data:`MAX_READINGS`."""
    # One page holds them all when the period has no more: a trace within the bound is one request.
    found = client.iter_telemetry(
        token=token, since=invoice.start, until=invoice.end, status="verified", page_size=MAX_READINGS + 1
    )
    return list(islice((r for r in found if r.increment > 0), MAX_READINGS + 1))


def trace(client: LedgerClient, lease_id: str, period: int) -> dict[str, Any]:
    """The invoice, its evidence readings, their sensors' keys, their batches and the batches' proofs.

    What does not depend on the readings (the signed head, the log key) is asked for while they
    are read, and each batch's messages, proof and sensor keys are asked for together.
    """
    lease = client.lease(lease_id)
    invoice = _invoice(lease, period)
    head, info = pages.FETCH.submit(client.tree_head), pages.FETCH.submit(client.info)
    readings = _evidence(client, lease.token, invoice)
    if len(readings) > MAX_READINGS:
        return _too_much(f"more than {MAX_READINGS} readings", invoice)
    batch_ids = sorted({r.batch for r in readings})
    if len(batch_ids) > MAX_BATCHES:
        return _too_much(f"readings in more than {MAX_BATCHES} batches", invoice)
    log_key = info.result().log_key
    keys = {d: pages.FETCH.submit(client.device, d) for d in sorted({r.device for r in readings})}
    proofs = {i: pages.FETCH.submit(pages.proof, client, i, head.result(), log_key) for i in batch_ids}
    batches: dict[str, Any] = {}
    for index, found in zip(batch_ids, pages.FETCH.map(client.batch, batch_ids), strict=True):
        batches[str(index)] = {"messages": found.messages, "proof": proofs[index].result()}
        if sum(len(b["messages"]) for b in batches.values()) > MAX_MESSAGES:
            return _too_much(f"batches of more than {MAX_MESSAGES} messages", invoice)
    return {
        "invoice": invoice.model_dump(),
        "evidence": sorted([r.batch, r.position, r.increment] for r in readings),
        "devices": {d: key.result().public_key for d, key in keys.items()},
        "batches": batches,
        "log_key": log_key,
        "currency": info.result().currency,
        "decimals": human.minor_units(info.result().currency),
    }
