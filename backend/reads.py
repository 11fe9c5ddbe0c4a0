"""What the HTTP API reads of a ledger: its answers, as the SDK's models, and nothing it could change.

The routes (:mod:`backend.routes`) go through :class:`Reads` alone, never the ledger's state,
storage or tree, so the shape of every answer is built here from the records and the rules of
paging are applied once.  Methods that query the database block: the routes call them in a
worker thread (``asyncio.to_thread``).  A missing record raises :class:`NotFoundError` (404).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from backend import answers, paging, tiles
from backend.books import settlement
from backend.domain.rent import ended_period_evidence
from backend.errors import NotFoundError
from backend.ledger import Ledger, ReadingListener
from backend.market_reads import MarketReads
from backend.paging import Cursors
from backend.params import MAX_ENTRIES
from backend.state import Lease, Token
from chain_client.cbor import CBORValue
from chain_client.client import models as m
from chain_client.device import parse_device_id
from chain_client.ledger.entry import decode_entry
from chain_client.ledger.transaction import decode
from chain_client.plain import plain


@dataclass(frozen=True)
class ReadingFilter:
    """Which stored messages a telemetry query selects (None: any)."""

    device: str | None = None
    token: str | None = None
    since: int | None = None
    until: int | None = None
    status: str | None = None
    newest_first: bool = False  # the reverse of (stamp, batch, position) order


M = TypeVar("M", bound=BaseModel)
# A page's rows and its last row's cursor key (None: the last page).
Page = tuple[list[M], CBORValue]


def ledger_account(account: str) -> str:
    """The ledger account an account names: its settlement account, unless named exactly."""
    return account if ":" in account or account == "external" else settlement(account)


class Reads:
    """The read side of one :class:`Ledger`, for the HTTP API."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self.cursors = Cursors(ledger.key)
        self.market = MarketReads(ledger)

    # -- the log ------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of log entries."""
        return self._ledger.size

    def info(self) -> m.Info:
        """The log key, platform name, currency, size, checkpoint origin and note key."""
        state, ledger = self._ledger.state, self._ledger
        return m.Info(
            log_key=state.operator,
            name=state.name,
            currency=state.currency,
            size=ledger.size,
            origin=ledger.origin,
            vkey=ledger.note_key().vkey(),
        )

    def stats(self) -> m.Stats:
        """The ledger's totals: record counts and the counters the state keeps (no scan)."""
        state, ledger = self._ledger.state, self._ledger
        return m.Stats(
            size=ledger.size,
            enterprises=len(state.enterprises),
            machines=len(state.tokens),
            leases=len(state.leases),
            active_leases=state.active_leases,
            invoices=len(state.invoices),
            rent_paid=state.rent_paid,
            readings_verified=state.readings_verified,
            readings_rejected=state.readings_rejected,
        )

    def ping(self) -> None:
        """Raise :class:`BackendError` unless the database answers (blocks)."""
        self._ledger.storage.ping()

    def signed_checkpoint(self) -> bytes:
        """The current tree as a checkpoint signed by the log key."""
        return self._ledger.signed_checkpoint()

    def tile(self, path: str) -> bytes:
        """A c2sp.org/tlog-tiles tile or entry bundle (blocks)."""
        return tiles.resource(self._ledger.storage, self._ledger.tree, path)

    def tree_head(self) -> m.SignedTreeHead:
        """The latest signed tree head (blocks: it may be signed and stored now)."""
        return m.SignedTreeHead.model_validate(self._ledger.tree_head().to_json())

    def inclusion(self, index: int, tree_size: int) -> m.InclusionProof:
        """RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
        path = self._ledger.inclusion_proof(index, tree_size)
        leaf = self._ledger.tree.leaf(index).hex()
        return m.InclusionProof(
            leaf_index=index, tree_size=tree_size, leaf_hash=leaf, audit_path=[p.hex() for p in path]
        )

    def consistency(self, first: int, second: int) -> m.ConsistencyProof:
        """RFC 9162 consistency proof between tree sizes ``first`` and ``second``."""
        proof = self._ledger.consistency_proof(first, second)
        return m.ConsistencyProof(first=first, second=second, proof=[p.hex() for p in proof])

    def raw_entries(self, start: int, end: int | None) -> m.RawEntries:
        """Raw entries ``[start, end)`` in hex, at most :data:`MAX_ENTRIES` (blocks)."""
        size = self._ledger.size
        stop = max(start, min(size, end if end is not None else size, start + MAX_ENTRIES))
        rows = self._ledger.storage.log_rows(start, stop)
        return m.RawEntries(entries=[m.RawEntry(index=r.index, entry=r.entry.hex()) for r in rows])

    def entry(self, index: int) -> m.LogEntry:
        """One log entry, decoded (blocks)."""
        row = self._ledger.storage.log_row(index)
        if row is None:
            raise NotFoundError("log entry", index)
        tx = decode(decode_entry(row.entry).tx, check_signature=False)
        return m.LogEntry(
            index=row.index,
            time=row.time,
            leaf_hash=row.leaf_hash.hex(),
            entry=row.entry.hex(),
            type=tx.type,
            id=tx.id,
            signer=tx.signer,
            args=plain(tx.args),
            result=json.loads(row.result),
        )

    def entry_by_id(self, signer: str, tx_id: str) -> m.LogEntry:
        """The entry of a signer's transaction id (blocks)."""
        index = self._ledger.index_of(signer, tx_id)
        if index is None:
            raise NotFoundError("transaction", f"{signer}/{tx_id}")
        return self.entry(index)

    def state_digest(self) -> m.StateDigest:
        """Tree size and the digest of the state it implies (blocks: computed once per size)."""
        size = self._ledger.size
        return m.StateDigest(tree_size=size, state_digest=self._ledger.digest().hex())

    def anchors(self) -> list[m.RecordedAnchor]:
        """The newest on-chain anchor recorded per (chain, contract), by key."""
        return [answers.chain_anchor(a) for _, a in sorted(self._ledger.state.anchors.items())]

    # -- enterprises, tokens and devices ---------------------------------

    def enterprises(self, after: str | None, limit: int) -> Page[m.Enterprise]:
        """Enterprises by account after ``after``."""
        rows, more = paging.by_id(self._ledger.state.enterprises, after, limit)
        return [answers.enterprise(e) for _, e in rows], rows[-1][0] if more else None

    def enterprise(self, account: str) -> m.Enterprise:
        """One enterprise with its credit record."""
        found = self._ledger.state.enterprises.get(account)
        if found is None:
            raise NotFoundError("enterprise", account)
        return answers.enterprise(found)

    def tokens(self, after: str | None, limit: int, party: str | None = None) -> Page[m.Token]:
        """Tokens by id after ``after``; with ``party``, those it owns or made."""
        state, now = self._ledger.state, self._ledger.now()
        if party is None:
            rows, more = paging.by_id(state.tokens, after, limit)
        else:
            rows, more = paging.by_id_where(
                state.tokens, lambda t: party in (t.owner, t.manufacturer), after, limit
            )
        return [answers.token(t, state, now) for _, t in rows], rows[-1][0] if more else None

    def _token(self, token_id: str) -> Token:
        found = self._ledger.state.tokens.get(token_id)
        if found is None:
            raise NotFoundError("token", token_id)
        return found

    def token(self, token_id: str) -> m.Token:
        """One token."""
        return answers.token(self._token(token_id), self._ledger.state, self._ledger.now())

    def holders(self, token_id: str) -> m.Holders:
        """Share holders of a token."""
        return answers.holders(self._token(token_id))

    def usage(self, token_id: str, start: int, end: int) -> m.Usage:
        """Verified run-seconds of a token stamped in ``[start, end)`` (blocks)."""
        self._token(token_id)
        found = self._ledger.readings.increments(token_id, start, end, self._ledger.size)
        seconds = sum(seconds for _, _, _, seconds in found)
        return m.Usage(token=token_id, start=start, end=end, run_seconds=seconds)

    def devices(self, after: str | None, limit: int) -> tuple[m.DeviceRegistry, CBORValue]:
        """Device bindings by device id after ``after``, with the log size."""
        rows, more = paging.by_id(self._ledger.state.bindings, after, limit)
        found = [answers.binding(b) for _, b in rows]
        return m.DeviceRegistry(size=self._ledger.size, devices=found), rows[-1][0] if more else None

    def device(self, device: str) -> m.DeviceBinding:
        """One device binding (``device`` in any form :func:`parse_device_id` reads)."""
        found = self._ledger.state.bindings.get(parse_device_id(device).hex())
        if found is None:
            raise NotFoundError("device", device)
        return answers.binding(found)

    # -- accounts ----------------------------------------------------------

    def balance(self, account: str) -> m.Balance:
        """The balance of an account's settlement account (or of a ledger account named exactly)."""
        name = ledger_account(account)
        return m.Balance(account=name, balance=self._ledger.state.books.balance(name))

    def journal(self, name: str, start: int, limit: int) -> tuple[m.Journal, CBORValue]:
        """Postings that touched ledger account ``name`` from journal position ``start``."""
        lines, last = paging.journal_page(self._ledger.state.books.journal, name, start, limit)
        return m.Journal(account=name, postings=[answers.posting(p) for p in lines]), last

    def payouts(self, account: str, after: tuple[str, int] | None, limit: int) -> tuple[m.Payouts, CBORValue]:
        """Payout lines an account received, by invoice and line, after ``after``."""
        lines, last = paging.payouts_page(self._ledger.state.invoices, account, after, limit)
        found = [m.PayoutLine.model_validate(line) for line in lines]
        return m.Payouts(account=account, payouts=found), last

    # -- leases and invoices ---------------------------------------------

    def leases(
        self, after: str | None, limit: int, token: str | None = None, party: str | None = None
    ) -> Page[m.Lease]:
        """Leases by id after ``after``; only those of ``token`` and ``party`` (lessor, lessee) if given."""
        state, now = self._ledger.state, self._ledger.now()
        if token is None and party is None:
            rows, more = paging.by_id(state.leases, after, limit)
        else:

            def keep(v: Lease) -> bool:
                return token in (None, v.token) and party in (None, v.lessor, v.lessee)

            rows, more = paging.by_id_where(state.leases, keep, after, limit)
        return [answers.lease(v, state, now) for _, v in rows], rows[-1][0] if more else None

    def _lease(self, lease_id: str) -> Lease:
        found = self._ledger.state.leases.get(lease_id)
        if found is None:
            raise NotFoundError("lease", lease_id)
        return found

    def lease(self, lease_id: str) -> m.Lease:
        """One lease with its invoices."""
        return answers.lease(self._lease(lease_id), self._ledger.state, self._ledger.now())

    def evidence(self, lease_id: str, period: int) -> m.PeriodEvidence:
        """What an invoice of an ended period must name (blocks); the ledger's refusal if none can be."""
        found, ledger = self._lease(lease_id), self._ledger
        ev = ended_period_evidence(ledger.readings, found, period, ledger.now(), ledger.size)
        return answers.evidence(found, period, ev)

    def invoice(self, invoice_id: str) -> m.Invoice:
        """One invoice with its payout lines."""
        found = self._ledger.state.invoices.get(invoice_id)
        if found is None:
            raise NotFoundError("invoice", invoice_id)
        return answers.invoice(found)

    # -- telemetry and batches -------------------------------------------

    def telemetry(
        self, where: ReadingFilter, after: tuple[int, int, int] | None, limit: int
    ) -> Page[m.TelemetryReading]:
        """Stored messages as ``where`` selects, in stamp order (or newest first), after the key ``after``
        (blocks)."""
        device, tokens = where.device, []
        if device is not None:
            device = parse_device_id(device).hex()
            binding = self._ledger.state.bindings.get(device)
            tokens = ["", binding.token] if binding is not None else [""]
        rows = self._ledger.storage.readings(
            device=device,
            token=where.token,
            since=where.since,
            until=where.until,
            status=where.status,
            limit=limit + 1,
            tokens=tokens,
            after=after,
            newest_first=where.newest_first,
        )
        last = [rows[limit - 1][k] for k in ("stamp", "batch", "position")] if len(rows) > limit else None
        return [answers.reading(r) for r in rows[:limit]], last

    def reading_proof(self, batch: int, position: int) -> m.ReadingProof:
        """A message, its inclusion in its batch, the batch's entry and its inclusion in the log (blocks)."""
        return m.ReadingProof.model_validate(self._ledger.reading_proof(batch, position))

    def batch(self, index: int) -> m.AnchoredBatch:
        """An anchored batch and its messages in leaf order (blocks)."""
        stored = self._ledger.storage.batch(index)
        if stored is None:
            raise NotFoundError("batch", index)
        return answers.batch(stored, self._ledger.storage.batch_messages(index))

    def listen(self, listener: Callable[[list[m.TelemetryReading]], None]) -> ReadingListener:
        """Call ``listener`` with each group of new stored readings; returns the hook for :meth:`unlisten`."""

        def hook(rows: list[dict[str, Any]]) -> None:
            listener([answers.reading(r) for r in rows])

        self._ledger.listeners.append(hook)
        return hook

    def unlisten(self, hook: ReadingListener) -> None:
        """Stop calling a listener :meth:`listen` added."""
        self._ledger.listeners.remove(hook)
