"""Cursor paging of the list endpoints (docs/ledger.md, "Paging").

A list answers one page in a stable order; when more follows, a ``Link: <...>; rel="next"``
header names the next page's URL with an opaque ``cursor``.  The cursor is the last row's sort
key, with the list it belongs to, CBOR-encoded and authenticated by an HMAC under a key derived
from the operator's signing key: a client cannot forge one, cannot move one to another list or
filter, and a cursor stays good across restarts of the same ledger.  Every page does bounded work:
at most ``limit`` rows and, where rows are filtered from a longer sequence, a bounded scan
(a page may then hold fewer rows than ``limit`` while a next link still follows).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import heapq
import hmac
import itertools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from nacl.signing import SigningKey
from pydantic import Field

from backend.books import Posting
from backend.state import Invoice
from backend.tracked import read, read_items
from chain_client import cbor
from chain_client.cbor import CBORValue
from chain_client.errors import ProtocolError

MAX_PAGE = 1000
MAX_CURSOR = 512  # characters: a real cursor is well under 200
SCAN_BUDGET = 100_000  # rows a filtered list may look at for one page
MAC_SIZE = 16
VERSION = 1

PageLimit = Annotated[int, Field(ge=1, le=MAX_PAGE, description="at most this many rows in the page")]
CursorParam = Annotated[
    str | None, Field(description="the opaque cursor of the page before, from its Link header")
]

V = TypeVar("V")


class CursorError(ValueError):
    """A cursor that this ledger did not issue for this list: answered 400 ``bad_cursor``."""


class Cursors:
    """Issues and reads the cursors of one ledger."""

    def __init__(self, key: SigningKey | None) -> None:
        # A ledger without its signing key (a read-only copy) has cursors good for this process only.
        seed = bytes(key) if key is not None else os.urandom(32)
        self.secret = hashlib.sha256(b"leasechain cursor v1\x00" + seed).digest()

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, payload, hashlib.sha256).digest()[:MAC_SIZE]

    def issue(self, listing: str, key: CBORValue) -> str:
        """The cursor that resumes ``listing`` after the row whose sort key is ``key``."""
        payload = cbor.dumps([VERSION, listing, key])
        return base64.urlsafe_b64encode(payload + self._mac(payload)).rstrip(b"=").decode()

    def read(self, listing: str, cursor: str) -> CBORValue:
        """The sort key a cursor of ``listing`` resumes after; :class:`CursorError` if it is not one."""
        if len(cursor) > MAX_CURSOR:
            raise CursorError(f"cursor is {len(cursor)} characters long, at most {MAX_CURSOR}")
        try:
            raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            raise CursorError(f"cursor {cursor[:40]!r} is not base64url") from None
        payload, mac = raw[:-MAC_SIZE], raw[-MAC_SIZE:]
        if len(raw) <= MAC_SIZE or not hmac.compare_digest(mac, self._mac(payload)):
            raise CursorError(f"cursor {cursor[:40]!r} was not issued by this ledger")
        try:
            item = cbor.loads(payload, what="cursor")
        except ProtocolError as exc:  # only a change of format could get here past the MAC
            raise CursorError(f"cursor {cursor[:40]!r} is malformed: {exc.detail}") from None
        if not (isinstance(item, list) and len(item) == 3 and item[0] == VERSION):
            raise CursorError(f"cursor {cursor[:40]!r} is of another version")
        if item[1] != listing:
            raise CursorError(f"cursor {cursor[:40]!r} belongs to the list {item[1]!r}, not {listing!r}")
        return item[2]


def next_link(request: Request, cursor: str) -> dict[str, str]:
    """The ``Link`` header naming the next page: this request's URL with ``cursor`` replaced."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", cursor))
    return {"Link": f'<{request.url.path}?{urlencode(params)}>; rel="next"'}


def text_key(key: CBORValue, what: str) -> str:
    """A cursor's key that must be a text (an id)."""
    if not isinstance(key, str):
        raise CursorError(f"{what} cursor holds {type(key).__name__}, expected a text")
    return key


def int_keys(key: CBORValue, count: int, what: str) -> list[int]:
    """A cursor's key that must be ``count`` integers."""
    if not (isinstance(key, list) and len(key) == count and all(type(k) is int for k in key)):
        raise CursorError(f"{what} cursor is not {count} integers")
    return [int(k) for k in key if isinstance(k, int)]


def by_id(items: Mapping[str, V], after: str | None, limit: int) -> tuple[list[tuple[str, V]], bool]:
    """The first ``limit`` items by id after ``after``, and whether more follow."""
    ids: Iterable[str] = items if after is None else (k for k in items if k > after)
    chosen = heapq.nsmallest(limit + 1, ids)
    return [(k, items[k]) for k in chosen[:limit]], len(chosen) > limit


def by_id_where(
    items: dict[str, V], keep: Callable[[V], bool], after: str | None, limit: int
) -> tuple[list[tuple[str, V]], bool]:
    """As :func:`by_id`, of the items ``keep`` accepts (looked at in memory, none counted as reached)."""
    ids = (k for k, v in read_items(items) if (after is None or k > after) and keep(v))
    chosen = heapq.nsmallest(limit + 1, ids)
    return [(k, v) for k in chosen[:limit] if (v := read(items, k)) is not None], len(chosen) > limit


def journal_page(
    journal: Sequence[Posting], account: str, start: int, limit: int
) -> tuple[list[Posting], list[int] | None]:
    """Postings touching ``account`` from journal position ``start``, and the cursor key if more may follow.

    The scan stops after :data:`SCAN_BUDGET` positions, so a page of a rarely touched account may be
    short (even empty) and still name a next page.
    """
    found: list[Posting] = []
    stop = min(len(journal), start + SCAN_BUDGET)
    position = start
    while position < stop and len(found) < limit:
        posting = journal[position]
        if account in (posting.debit, posting.credit):
            found.append(posting)
        position += 1
    more = position < len(journal)
    return found, [position - 1] if more and position > start else None


def payout_key(key: CBORValue) -> tuple[str, int]:
    """A payouts cursor's key: the invoice id and the position of the last line sent in it."""
    if not (isinstance(key, list) and len(key) == 2 and isinstance(key[0], str) and type(key[1]) is int):
        raise CursorError("payouts cursor is not [invoice id, line]")
    return key[0], key[1]


def payouts_page(
    invoices: Mapping[str, Invoice], account: str, start: tuple[str, int] | None, limit: int
) -> tuple[list[dict[str, Any]], list[CBORValue] | None]:
    """Payout lines to ``account`` by invoice and line after ``start``; the cursor key if more may follow."""
    ids: Iterable[str] = invoices if start is None else (k for k in invoices if k >= start[0])
    chosen = heapq.nsmallest(SCAN_BUDGET + 1, ids)
    lines: list[dict[str, Any]] = []
    last: list[CBORValue] | None = None
    for invoice_id in chosen[:SCAN_BUDGET]:
        for number, p in enumerate(invoices[invoice_id].payouts):
            if p.account != account or (start is not None and (invoice_id, number) <= start):
                continue
            if len(lines) == limit:
                return lines, last
            lines.append({"invoice": invoice_id, "kind": p.kind, "amount": p.amount, "basis": p.basis})
            last = [invoice_id, number]
    if len(chosen) > SCAN_BUDGET:
        return lines, [chosen[SCAN_BUDGET - 1], len(invoices[chosen[SCAN_BUDGET - 1]].payouts)]
    return lines, None


def newest_key(key: CBORValue, what: str) -> tuple[int, str]:
    """A cursor's key of a newest-first list: the last row's time and id."""
    if not (isinstance(key, list) and len(key) == 2 and type(key[0]) is int and isinstance(key[1], str)):
        raise CursorError(f"{what} cursor is not [time, id]")
    return key[0], key[1]


class NewestIndex(Generic[V]):
    """The (time, id) keys of an append-only dict of records, kept sorted, for newest-first pages.

    The order is the data's own, so it is the same after a restart (a state restored from a
    snapshot holds its records in another order than they were added).  Records are never removed
    and their keys never change, so the index follows its dict by sorting in the records added
    since the last page; it is built afresh when the dict itself is another (a reloaded state).
    Entry times never go back, so a record added while a list is read sorts before the cursor (it
    is on a new first page) or, at the cursor's very second with a smaller id, after it (a later
    page shows it): either way no record of the list is skipped or repeated.
    """

    def __init__(self, key: Callable[[V], tuple[int, str]]) -> None:
        self._key = key
        self._source: Mapping[str, V] | None = None
        self._keys: list[tuple[int, str]] = []

    def _follow(self, records: Mapping[str, V]) -> None:
        # The writer adds records from its own thread: list() takes the values in one C call, with
        # no Python code run between items, so the dict cannot change size under the iteration.
        if records is not self._source:
            self._source, self._keys = records, sorted(map(self._key, list(records.values())))
            return
        for added in list(itertools.islice(records.values(), len(self._keys), None)):
            bisect.insort(self._keys, self._key(added))

    def page(
        self, records: Mapping[str, V], after: tuple[int, str] | None, limit: int
    ) -> tuple[list[V], list[CBORValue] | None]:
        """Up to ``limit`` records, newest first, after the key ``after``; the cursor key if more follow."""
        self._follow(records)
        top = len(self._keys) if after is None else bisect.bisect_left(self._keys, after)
        bottom = max(top - limit, 0)
        chosen = self._keys[bottom:top][::-1]
        return [records[k[1]] for k in chosen], [*chosen[-1]] if bottom > 0 else None


def newest_positions(count: int, after: int | None, limit: int) -> tuple[range, list[CBORValue] | None]:
    """Positions of an append-only list, newest first, below position ``after``; the cursor key if more."""
    top = count if after is None else min(max(after, 0), count)
    bottom = max(top - limit, 0)
    return range(top - 1, bottom - 1, -1), [bottom] if bottom > 0 else None
