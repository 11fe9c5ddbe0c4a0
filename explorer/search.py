"""One search box: what a query names, as links to explorer pages.

A query is read as, in turn: an entry index (digits), a token id (``tok-…``), an invoice
(``lease-….N``) or a lease id, an account (64 hex digits), a device id (32 hex digits); and
always also as text: an enterprise name, a machine's serial or model (a part of it, any case) and a
transaction id of any known signer. One match opens its page; several are listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from chain_client.client import LedgerClient, NotFoundError
from explorer.names import Names

MAX_QUERY = 200
MAX_HITS = 50
_TOKEN = re.compile(r"tok-[0-9a-f]{16}")
_LEASE = re.compile(r"lease-[0-9a-f]{16}")
_INVOICE = re.compile(r"(lease-[0-9a-f]{16})\.(\d{1,9})")
_ACCOUNT = re.compile(r"[0-9a-f]{64}")
_DEVICE = re.compile(r"[0-9a-f]{32}")
_TX_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


@dataclass(frozen=True)
class Hit:
    """One thing a query names: what it is, how people call it, and its page."""

    kind: str
    label: str
    url: str


def _seg(value: str | int) -> str:
    return quote(str(value), safe="")


def _exact(client: LedgerClient, query: str, names: Names) -> list[Hit]:
    q = query.lower()
    if q.isdigit() and int(q) < names.info.size:
        entry = client.transaction(int(q))
        return [Hit("entry", f"entry {q}: {entry.type} by {names.name(entry.signer)}", f"/entry/{q}")]
    if _INVOICE.fullmatch(q):
        return [Hit("invoice", f"invoice {q}", f"/invoice/{_seg(q)}")] if _found(client.invoice, q) else []
    if _LEASE.fullmatch(q):
        return [Hit("lease", f"lease {q}", f"/lease/{_seg(q)}")] if _found(client.lease, q) else []
    if _TOKEN.fullmatch(q):
        return [Hit("machine", f"machine {q}", f"/machine/{_seg(q)}")] if _found(client.token, q) else []
    if _ACCOUNT.fullmatch(q):
        return [Hit("account", names.party(q), f"/enterprise/{q}")]
    if _DEVICE.fullmatch(q):
        try:
            binding = client.device(q)
        except NotFoundError:
            return []
        return [Hit("device", f"sensor {q} of {binding.token}", f"/machine/{_seg(binding.token)}")]
    return []


def _found(read: Callable[[str], object], key: str) -> bool:
    try:
        read(key)
    except NotFoundError:
        return False
    return True


def _text(client: LedgerClient, query: str, names: Names) -> list[Hit]:
    q = query.casefold()
    hits = [
        Hit("enterprise", names.party(e.account), f"/enterprise/{e.account}")
        for e in names.enterprises.values()
        if q in e.name.casefold()
    ]
    hits += [
        Hit("machine", f"{t.model} {t.serial} ({t.id}), {names.name(t.manufacturer)}", f"/machine/{t.id}")
        for t in client.tokens()
        if q in t.serial.casefold() or q in t.model.casefold()
    ]
    if _TX_ID.fullmatch(query):
        for signer in [names.info.log_key, *names.enterprises]:
            try:
                entry = client.transaction_by_id(signer, query)
            except NotFoundError:
                continue
            hits.append(
                Hit(
                    "entry",
                    f"transaction {query} of {names.name(signer)}: entry {entry.index}",
                    f"/entry/{entry.index}",
                )
            )
    return hits


def search(client: LedgerClient, query: str, names: Names) -> list[Hit]:
    """Everything ``query`` names, exact ids first; at most ``MAX_HITS``."""
    query = query.strip()[:MAX_QUERY]
    if not query:
        return []
    hits = _exact(client, query, names)
    seen = {h.url for h in hits}
    for hit in _text(client, query, names):
        if hit.url not in seen:
            hits.append(hit)
            seen.add(hit.url)
    return hits[:MAX_HITS]
