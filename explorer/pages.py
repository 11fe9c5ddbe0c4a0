"""What each page shows, read from the ledger through the SDK: one function per page type.

Each returns the values its template renders; the templates only format them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from chain_client import human
from chain_client.client import LedgerClient, NotFoundError, queries
from chain_client.client import models as m
from chain_client.ledger.treehead import TreeHead
from explorer import anchors, signers
from explorer.names import Names
from explorer.words import describe

READINGS_PAGE = 50
JOURNAL_PAGE = 50
LOG_PAGE = 50


@dataclass(frozen=True)
class Row:
    """An entry as listed: its index, time, type, signer and sentence."""

    index: int
    time: int
    type: str
    signer: str
    words: str


def _machine_label(client: LedgerClient) -> Any:  # noqa: ANN401 - a cached lookup function
    cache: dict[str, str] = {}

    def label(token_id: str) -> str:
        if token_id not in cache:
            try:
                t = client.token(token_id)
                cache[token_id] = f"{t.model} {t.serial}"
            except NotFoundError:
                cache[token_id] = token_id
        return cache[token_id]

    return label


def _row(entry: m.LogEntry, names: Names, machine: Any) -> Row:  # noqa: ANN401 - the lookup
    return Row(entry.index, entry.time, entry.type, entry.signer, describe(entry, names, machine))


# The entries of a listed page are asked for together: the page waits for the slowest answer,
# not for the sum of them (the HTTP client is shared by the threads).
FETCH = ThreadPoolExecutor(max_workers=8, thread_name_prefix="explorer-fetch")


def _rows(client: LedgerClient, names: Names, indices: Iterable[int]) -> list[Row]:
    """The entries at ``indices``, in that order, as listed rows."""
    machine = _machine_label(client)
    return [_row(entry, names, machine) for entry in FETCH.map(client.transaction, indices)]


def home(client: LedgerClient, names: Names, recent: int, witnesses: Sequence[str] = ()) -> dict[str, Any]:
    """Tree head, checkpoint signers, totals (the ledger's own, one answer) and the latest entries."""
    head = client.tree_head()
    checkpoint = client.checkpoint()
    found, unreadable = signers.read(checkpoint, names.info.vkey)
    totals = client.stats()
    rows = _rows(client, names, range(head.size - 1, max(-1, head.size - 1 - recent), -1))
    return {
        "head": head,
        "age": human.duration(max(0, int(time.time()) - head.time)),
        "machines": totals.machines,
        "active_leases": totals.active_leases,
        "rent_paid": totals.rent_paid,
        "readings": totals.readings_verified,
        "enterprises": totals.enterprises,
        "rows": rows,
        "checkpoint": checkpoint,
        "vkey": names.info.vkey,
        "signers": found,
        "unreadable": unreadable,
        "witness_vkeys": list(witnesses),
        "anchors": anchors.anchors(client, names),
    }


def log(client: LedgerClient, names: Names, before: int | None) -> dict[str, Any]:
    """A page of the log, newest first: ``LOG_PAGE`` entries before the cursor (default: the newest)."""
    size = names.info.size
    top = size if before is None else max(0, min(before, size))
    rows = _rows(client, names, range(top - 1, max(-1, top - 1 - LOG_PAGE), -1))
    return {
        "rows": rows,
        "size": size,
        "newer": min(size, top + LOG_PAGE) if top < size else None,
        "older": rows[-1].index if rows and rows[-1].index > 0 else None,
    }


def entry(client: LedgerClient, names: Names, index: int) -> dict[str, Any]:
    """One entry, in words, with its arguments and effects."""
    found = client.transaction(index)
    return {
        "entry": found,
        "words": describe(found, names, _machine_label(client)),
        "size": names.info.size,
    }


def proof(
    client: LedgerClient, index: int, head: TreeHead | None = None, log_key: str | None = None
) -> dict[str, Any]:
    """The entry bytes, its inclusion proof in the latest signed tree (or ``head``) and that tree head."""
    head = client.tree_head() if head is None else head
    found = client.transaction(index)
    if index >= head.size:  # appended after the newest signed head: nothing to prove it against yet
        raise NotFoundError(
            404, "not_found", f"entry {index} is not under a signed tree head yet (size {head.size})"
        )
    path = client.inclusion_proof(index, head.size)
    return {
        "index": index,
        "entry": found.entry,
        "tree_size": path.tree_size,
        "audit_path": path.audit_path,
        "tree_head": head.to_json(),
        "log_key": client.info().log_key if log_key is None else log_key,
    }


def machine(
    client: LedgerClient, names: Names, token_id: str, cursor: str | None = None, size: int = READINGS_PAGE
) -> dict[str, Any]:
    """A machine's token with its share register, sensors, leases, usage per period and readings.

    The readings are a page of the API's list (stamp order), from ``cursor``; each sensor's last
    reading is its newest under this token, asked for newest first (one small answer per sensor).
    """
    token = client.token(token_id)
    holders = client.holders(token_id)
    register = sorted(holders.holders.items(), key=lambda kv: (-kv[1], kv[0]))
    leases = client.leases(token=token_id)
    shown = client.run_page(queries.telemetry(token=token_id, limit=size, cursor=cursor))

    def newest(device: str) -> list[m.TelemetryReading]:
        return client.telemetry(token=token_id, device=device, limit=1, newest_first=True)

    sensors = sorted({d.device for d in token.devices})
    last = {r.device: r for found in FETCH.map(newest, sensors) for r in found}
    usage = [(lease.id, i.period, i.usage_seconds) for lease in leases for i in lease.invoices]
    return {
        "token": token,
        "register": register,
        "total_shares": holders.total_shares,
        "leases": leases,
        "last": last,
        "readings": shown.items,
        "readings_next": shown.next_cursor,
        "readings_paged": cursor is not None,
        "usage": usage,
        "usage_max": max([u for _, _, u in usage] + [1]),
    }


def enterprise(
    client: LedgerClient,
    names: Names,
    account: str,
    journal: str | None = None,
    payouts: str | None = None,
    size: int = JOURNAL_PAGE,
) -> dict[str, Any]:
    """An enterprise's certification and credit, or just an account: balance, journal, payouts.

    The journal and the payout lines are a page each of the API's lists, from the cursors given.
    """
    found = names.enterprises.get(account)
    if found is None and account != names.info.log_key and len(account) != 64:
        raise NotFoundError(404, "not_found", f"no enterprise or account {account!r}")
    balance = client.balance(account)
    postings = client.run_page(queries.journal(account, size, cursor=journal))
    lines = client.run_page(queries.payouts(account, cursor=payouts, limit=size))
    count, received = 0, 0
    for line in client.iter_payouts(account):
        count, received = count + 1, received + line.amount
    tokens = client.tokens(party=account)
    leases = client.leases(party=account)
    return {
        "account": account,
        "found": found,
        "balance": balance.balance,
        "postings": postings.items.postings,
        "journal_next": postings.next_cursor,
        "journal_paged": journal is not None,
        "payouts": lines.items.payouts,
        "payouts_next": lines.next_cursor,
        "payouts_paged": payouts is not None,
        "payout_count": count,
        "tokens": tokens,
        "leases": leases,
        "received": received,
    }


def lease(client: LedgerClient, names: Names, lease_id: str) -> dict[str, Any]:
    """A lease with its invoices and what each party received from it."""
    found = client.lease(lease_id)
    per_party: dict[str, int] = defaultdict(int)
    for invoice in found.invoices:
        for line in invoice.payouts:
            per_party[line.account] += line.amount
    return {
        "lease": found,
        "token": client.token(found.token),
        "per_party": sorted(per_party.items(), key=lambda kv: -kv[1]),
        "billed": sum(i.amount for i in found.invoices),
        "paid": sum(i.amount for i in found.invoices if i.paid_at),
    }


def invoice(
    client: LedgerClient, names: Names, invoice_id: str, cursor: str | None = None, size: int = READINGS_PAGE
) -> dict[str, Any]:
    """An invoice: its payout lines, the ledger's evidence of its period, and a page of the verified
    readings stamped in the period (from ``cursor``), those whose increments make its usage marked."""
    found = client.invoice(invoice_id)
    lease_ = client.lease(found.lease)
    evidence = client.evidence(found.lease, found.period)
    query = queries.telemetry(
        token=lease_.token, since=found.start, until=found.end, status="verified", limit=size, cursor=cursor
    )
    shown = client.run_page(query)
    return {
        "invoice": found,
        "lease": lease_,
        "evidence": evidence,
        "readings": shown.items,
        "readings_next": shown.next_cursor,
        "readings_paged": cursor is not None,
    }
