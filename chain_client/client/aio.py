"""The asynchronous ledger client (httpx), the same API as :class:`~chain_client.client.sync.LedgerClient`.

Every read and every transaction method is a coroutine:
``await client.token(tid)``, ``await client.bind_device(token, public_key)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx
from nacl.signing import SigningKey

from chain_client import cbor
from chain_client.client import answers, queries
from chain_client.client import market_models as mm
from chain_client.client import market_queries as mq
from chain_client.client import models as m
from chain_client.client.actions import LedgerActions
from chain_client.client.errors import RejectedError, UnreachableError
from chain_client.client.market import MarketActions
from chain_client.client.paging import Page, next_cursor
from chain_client.client.queries import Query
from chain_client.client.sse import EventParser
from chain_client.client.transactions import SignedTx, TxBuilder, ledger_key_bytes
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import TxType

P = ParamSpec("P")
T = TypeVar("T")
CBOR = {"Content-Type": "application/cbor"}
MAX_ENTRIES = 1000
MAX_PAGE = 1000


def _query(make: Callable[P, Query[T]]) -> Callable[Concatenate[AsyncLedgerClient, P], Awaitable[T]]:
    async def method(self: AsyncLedgerClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.run(make(*args, **kwargs))

    method.__name__ = make.__name__
    method.__doc__ = make.__doc__
    return method


class AsyncLedgerClient(LedgerActions[Awaitable[m.TxResult]], MarketActions[Awaitable[m.TxResult]]):
    """An asyncio client of one ledger backend; ``async with`` it or ``await client.aclose()``."""

    def __init__(
        self,
        url: str,
        key: SigningKey | None = None,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        id_prefix: str = "c",
        transport: httpx.AsyncBaseTransport | None = None,
        ledger: bytes | str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.builder = TxBuilder(key, ledger=ledger, id_prefix=id_prefix) if key is not None else None
        self.retries = retries
        self.http = httpx.AsyncClient(base_url=self.url, timeout=timeout, transport=transport)

    async def __aenter__(self) -> AsyncLedgerClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:  # noqa: ANN401
        delay = 0.2
        for attempt in range(self.retries + 1):
            try:
                response = await self.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise UnreachableError(f"{method} {self.url}{path} failed: {exc!r}") from None
            else:
                if response.status_code not in answers.RETRY_STATUSES or attempt == self.retries:
                    return response
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    async def run(self, query: Query[T]) -> T:
        """Run a read query and parse its answer."""
        response = await self._send("GET", query.path, params=dict(query.params))
        return query.parse(answers.check(response))

    async def run_page(self, query: Query[T]) -> Page[T]:
        """Run a query of one page of a list: its rows and the cursor of the next page."""
        response = await self._send("GET", query.path, params=dict(query.params))
        return Page(query.parse(answers.check(response)), next_cursor(response))

    async def pages(self, make: Callable[[str | None], Query[T]]) -> AsyncIterator[T]:
        """Every page of a list, first to last: ``make(cursor)`` is the query of a page."""
        cursor: str | None = None
        while True:
            page = await self.run_page(make(cursor))
            yield page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def submit(self, raw: bytes, *, tx_id: str = "") -> m.TxResult:
        """Submit one signed transaction's exact bytes; raise :class:`RejectedError` if refused."""
        response = await self._send("POST", "/v1/transactions", content=raw, headers=CBOR)
        return answers.tx_result(answers.check(response, tx_id=tx_id))

    async def builder_for_ledger(self) -> TxBuilder:
        """The builder signing with this client's key, its ledger asked of the backend once."""
        builder = self.tx
        if builder.ledger is None:
            builder.ledger = ledger_key_bytes((await self.info()).log_key)
        return builder

    def act(self, make: Callable[[TxBuilder], SignedTx]) -> Awaitable[m.TxResult]:
        """Build a transaction for this client's ledger and submit it."""

        async def run() -> m.TxResult:
            return await self.submit_tx(make(await self.builder_for_ledger()))

        return run()

    def submit_tx(self, tx: SignedTx) -> Awaitable[m.TxResult]:
        """Submit a transaction built by :class:`TxBuilder` (a batch with its messages)."""
        if tx.type is TxType.ANCHOR_BATCH:
            return self.submit_batch(tx.raw, tx.messages, tx_id=tx.id)
        return self.submit(tx.raw, tx_id=tx.id)

    async def submit_batch(self, raw: bytes, messages: Sequence[bytes], *, tx_id: str = "") -> m.TxResult:
        """Submit a signed ``anchor_batch`` and the messages that travel beside it (``POST /v1/batches``)."""
        body = cbor.dumps([bytes(raw), [bytes(x) for x in messages]])
        response = await self._send("POST", "/v1/batches", content=body, headers=CBOR)
        return answers.tx_result(answers.check(response, tx_id=tx_id))

    async def issue_invoice(self, lease: str, period: int, *, tx_id: str | None = None) -> m.TxResult:
        """Owner, lessee or reviewer: invoice an ended period, naming the evidence the ledger serves.

        As :meth:`LedgerClient.issue_invoice <chain_client.client.sync.LedgerClient.issue_invoice>`:
        read the evidence, sign it in, and read and sign once more on ``evidence_mismatch``.
        """
        for attempt in (1, 2):
            ev = await self.evidence(lease, period)
            try:
                return await self.issue_invoice_with(
                    lease, period, ev.usage_seconds, ev.evidence, tx_id=tx_id
                )
            except RejectedError as exc:
                if exc.tx_reason is not TxReason.EVIDENCE_MISMATCH or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def submit_many(self, raws: Iterable[bytes]) -> list[m.TxResult | RejectedError]:
        """Submit several signed transactions in one request; each gets its own outcome."""
        body = cbor.dumps([bytes(r) for r in raws])
        response = await self._send("POST", "/v1/transactions/batch", content=body, headers=CBOR)
        return answers.batch_results(answers.check(response), str(response.request.url))

    info = _query(queries.info)
    stats = _query(queries.stats)
    tree_head = _query(queries.tree_head)
    inclusion_proof = _query(queries.inclusion_proof)
    consistency_proof = _query(queries.consistency_proof)
    entries = _query(queries.entries)
    transaction = _query(queries.transaction)
    transaction_by_id = _query(queries.transaction_by_id)
    state_digest = _query(queries.state_digest)
    enterprise = _query(queries.enterprise)
    token = _query(queries.token)
    holders = _query(queries.holders)
    usage = _query(queries.usage)
    device = _query(queries.device)
    balance = _query(queries.balance)
    journal = _query(queries.journal)
    lease = _query(queries.lease)
    evidence = _query(queries.evidence)
    invoice = _query(queries.invoice)
    telemetry = _query(queries.telemetry)
    reading_proof = _query(queries.reading_proof)
    batch = _query(queries.batch)
    anchors = _query(queries.anchors)
    # the marketplace and credit scores (docs/market.md)
    market_requests = _query(mq.market_requests)
    market_request = _query(mq.market_request)
    matches = _query(mq.matches)
    listings = _query(mq.listings)
    listing = _query(mq.listing)
    guarantees = _query(mq.guarantees)
    services = _query(mq.services)
    service = _query(mq.service)
    order = _query(mq.order)
    credit = _query(mq.credit)

    async def checkpoint(self) -> str:
        """The current checkpoint (``GET /checkpoint``): a signed note with any witness cosignatures."""
        response = await self._send("GET", "/checkpoint")
        if response.status_code >= 400:
            answers.check(response)
        return response.text

    async def enterprises(self) -> list[m.Enterprise]:
        """Every enterprise with its credit record, by account (all pages)."""
        return [e async for page in self.pages(lambda c: queries.enterprises(cursor=c)) for e in page]

    async def tokens(self, *, party: str | None = None) -> list[m.Token]:
        """Every token, by id (all pages); with ``party``, those the account owns or made."""
        return [t async for page in self.pages(lambda c: queries.tokens(cursor=c, party=party)) for t in page]

    async def leases(self, *, token: str | None = None, party: str | None = None) -> list[m.Lease]:
        """Every lease by id (all pages); only those of ``token`` and ``party`` (lessor, lessee) if given."""
        query = partial(queries.leases, token=token, party=party)
        return [v async for page in self.pages(lambda c: query(cursor=c)) for v in page]

    async def devices(self) -> m.DeviceRegistry:
        """Every device binding (all pages), at the log size of the first page."""
        found = [page async for page in self.pages(lambda c: queries.devices(cursor=c))]
        return m.DeviceRegistry(size=found[0].size, devices=[b for page in found for b in page.devices])

    async def payouts(self, account: str) -> m.Payouts:
        """Every payout line an account received, by invoice (all pages)."""
        lines = [p async for p in self.iter_payouts(account)]
        return m.Payouts(account=account, payouts=lines)

    async def iter_journal(self, account: str, *, page_size: int = MAX_PAGE) -> AsyncIterator[m.Posting]:
        """Every posting that touched an account, oldest first, a page at a time."""
        async for page in self.pages(lambda c: queries.journal(account, page_size, cursor=c)):
            for posting in page.postings:
                yield posting

    async def iter_payouts(self, account: str, *, page_size: int = MAX_PAGE) -> AsyncIterator[m.PayoutLine]:
        """Every payout line an account received, a page at a time."""
        async for page in self.pages(lambda c: queries.payouts(account, cursor=c, limit=page_size)):
            for line in page.payouts:
                yield line

    async def iter_telemetry(
        self,
        *,
        page_size: int = MAX_PAGE,
        **filters: Any,  # noqa: ANN401 - telemetry()'s filters
    ) -> AsyncIterator[m.TelemetryReading]:
        """Every stored message matching ``filters`` (those of :meth:`telemetry`), a page at a time."""
        async for page in self.pages(lambda c: queries.telemetry(**filters, limit=page_size, cursor=c)):
            for reading in page:
                yield reading

    async def iter_market_requests(self, *, page_size: int = MAX_PAGE) -> AsyncIterator[mm.MarketRequest]:
        """Every marketplace request, newest first, a page at a time."""
        async for page in self.pages(lambda c: mq.market_requests(page_size, cursor=c)):
            for item in page:
                yield item

    async def iter_listings(self, *, page_size: int = MAX_PAGE) -> AsyncIterator[mm.Listing]:
        """Every listing, newest first, a page at a time."""
        async for page in self.pages(lambda c: mq.listings(page_size, cursor=c)):
            for item in page:
                yield item

    async def iter_guarantees(self, *, page_size: int = MAX_PAGE) -> AsyncIterator[mm.Guarantee]:
        """Every manufacturer's guarantee, newest first, a page at a time."""
        async for page in self.pages(lambda c: mq.guarantees(page_size, cursor=c)):
            for item in page:
                yield item

    async def iter_service_history(
        self, account: str, *, page_size: int = MAX_PAGE
    ) -> AsyncIterator[mm.Order]:
        """Every order of a service, newest first, a page at a time (its record: :meth:`service`)."""
        async for page in self.pages(lambda c: mq.service(account, page_size, cursor=c)):
            for order in page.history:
                yield order

    async def iter_entries(self, start: int = 0, end: int | None = None) -> AsyncIterator[m.RawEntry]:
        """Every raw entry in ``[start, end)`` (default: to the current size), page by page."""
        stop = (await self.info()).size if end is None else end
        while start < stop:
            page = await self.entries(start, min(stop, start + MAX_ENTRIES))
            if not page:
                return
            for row in page:
                yield row
            start = page[-1].index + 1

    async def stream_readings(self, *, timeout: float | None = None) -> AsyncIterator[m.TelemetryReading]:
        """Newly verified readings as the ledger anchors them (Server-Sent Events), until the server closes.

        A lost connection raises :class:`UnreachableError`; the caller decides whether to reconnect.
        """
        parser = EventParser()
        try:
            async with self.http.stream(
                "GET", "/v1/stream/readings", timeout=httpx.Timeout(timeout, connect=10.0)
            ) as response:
                if response.status_code >= 400:
                    await response.aread()
                    answers.check(response)
                async for line in response.aiter_lines():
                    for event, data in parser.feed(line):
                        if event == "reading":
                            yield answers.reading(data)
        except httpx.TransportError as exc:
            raise UnreachableError(f"the reading stream of {self.url} failed: {exc!r}") from None
