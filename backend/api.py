"""The HTTP API (FastAPI): submit transactions, query the state, fetch tree heads and proofs.

docs/ledger.md lists every endpoint.  Transactions are posted as their exact
signed CBOR bytes (``application/cbor``); everything else is JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response, StreamingResponse
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backend import api_docs, http_errors, market_api, paging, tiles, views, witnesses
from backend.books import settlement
from backend.domain.rent import ended_period_evidence
from backend.errors import BackendError, NotFoundError
from backend.http_errors import error
from backend.ledger import Ledger, Submission, WithMessages
from backend.metrics import Metrics, RequestMetrics
from backend.paging import CursorError, CursorParam, Cursors, PageLimit
from backend.params import MAX_ENTRIES, Index, JournalLimit, Position, ReadingsLimit, Seconds
from backend.submitter import Submitter
from chain_client import cbor
from chain_client.cose import MAX_MESSAGE_SIZE
from chain_client.device import parse_device_id
from chain_client.errors import ProtocolError
from chain_client.ledger.entry import decode_entry
from chain_client.ledger.errors import TransactionError
from chain_client.ledger.reasons import TxReason
from chain_client.ledger.schema import MAX_MESSAGES
from chain_client.ledger.transaction import MAX_TX_SIZE, decode
from chain_client.tlog.errors import TileError

MAX_BODY = 8 * 1024 * 1024
# An anchor_batch and its messages: the transaction plus MAX_MESSAGES messages of at most
# MAX_MESSAGE_SIZE bytes, with room for their CBOR heads.
MAX_BATCH_BODY = MAX_TX_SIZE + MAX_MESSAGES * (MAX_MESSAGE_SIZE + 16)
STREAM_QUEUE = 10_000
CBOR_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/cbor": {"schema": {"type": "string", "format": "binary"}}},
    }
}
_FORBIDDEN = {
    TxReason.NOT_OPERATOR,
    TxReason.NOT_REVIEWER,
    TxReason.NOT_REGISTERED,
    TxReason.NOT_CERTIFIED,
    TxReason.ROLE_NOT_ALLOWED,
    TxReason.NOT_OWNER,
    TxReason.NOT_OWNER_OR_APPROVED,
    TxReason.NOT_LESSEE,
    TxReason.SELF_REVIEW,
    TxReason.SELF_DEPOSIT,
    TxReason.NOT_LESSOR,
    TxReason.NOT_ANCHOR_RECORDER,
    TxReason.NOT_REQUESTER,
    TxReason.NOT_CLIENT,
    TxReason.NOT_ORDER_SERVICE,
}
_MALFORMED = {
    TxReason.BAD_ENCODING,
    TxReason.TOO_LARGE,
    TxReason.UNSUPPORTED_VERSION,
    TxReason.BAD_SIGNATURE,
    TxReason.UNKNOWN_TYPE,
    TxReason.BAD_ID,
    TxReason.BAD_ARGS,
    TxReason.WRONG_LEDGER,
    TxReason.BAD_REPORT_SIGNATURE,
}
_MISSING = {
    TxReason.UNKNOWN_ENTERPRISE,
    TxReason.UNKNOWN_TOKEN,
    TxReason.UNKNOWN_LEASE,
    TxReason.UNKNOWN_INVOICE,
    TxReason.UNKNOWN_REQUEST,
    TxReason.UNKNOWN_LISTING,
    TxReason.UNKNOWN_GUARANTEE,
    TxReason.UNKNOWN_ORDER,
}
_CONFLICT = {
    TxReason.ID_CONFLICT,
    TxReason.GENESIS_EXISTS,
    TxReason.DUPLICATE_TOKEN,
    TxReason.TOKEN_ALREADY_LEASED,
    TxReason.DEVICE_IN_USE,
    TxReason.DEVICE_ALREADY_BOUND,
    TxReason.ALREADY_CERTIFIED,
    TxReason.ALREADY_REVIEWER,
    TxReason.ALREADY_REVIEWED,
    TxReason.ALREADY_INVOICED,
    # The signer saw another meter than the ledger holds (a batch landed in between): read again.
    TxReason.EVIDENCE_MISMATCH,
    TxReason.ALREADY_PAID,
    TxReason.ANCHOR_NOT_NEWER,
    TxReason.TOKEN_LISTED,
    TxReason.GUARANTEE_SETTLED,
    TxReason.ALREADY_RATED,
}


def http_status(reason: TxReason) -> int:
    """HTTP status of a refusal: 400 malformed, 403 not allowed, 404 unknown, 409 conflict, 422 rule."""
    if reason in _MALFORMED:
        return 400
    if reason in _FORBIDDEN:
        return 403
    if reason in _MISSING:
        return 404
    if reason in _CONFLICT:
        return 409
    return 422


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:  # noqa: ANN401 - any JSON value
    return Response(json.dumps(data), status_code=status, media_type="application/json", headers=headers)


def _refusal(exc: TransactionError) -> dict[str, Any]:
    return {"status": "rejected", "reason": exc.reason.value, "detail": http_errors.clip(exc.detail)}


async def read_body(request: Request, limit: int) -> bytes | Response:
    """The CBOR body of a submission, refused (413) as soon as it is known to exceed ``limit`` bytes."""
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind not in ("application/cbor", "application/octet-stream"):
        return error("bad_encoding", f"content type {kind!r}, expected application/cbor", 415)
    too_large = error("too_large", f"request body is over {limit} bytes, the limit", 413)
    declared = request.headers.get("content-length", "")
    # A declared length says it all before one byte is read; the digit count guards int().
    if declared.isdigit() and (len(declared) > 19 or int(declared) > limit):
        return too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # chunked bodies carry no length: count as they come
        size += len(chunk)
        if size > limit:
            return too_large
        chunks.append(chunk)
    return b"".join(chunks)


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# Probes, metrics and the API's documentation read no ledger state: they answer while a big batch
# is being applied (and a slow download of a documentation asset never holds the writer).
UNLOCKED = frozenset({"/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/openapi.json"})


class ReadLock:
    """ASGI middleware: state-reading requests wait while the writer changes the state."""

    def __init__(self, app: ASGIApp, submitter: Callable[[], Submitter | None]) -> None:
        self.app = app
        self.submitter = submitter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request, under the writer's lock when it reads state."""
        writer = self.submitter()
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or writer is None
            or scope.get("method") == "POST"
            or path.startswith("/v1/stream")
            or path in UNLOCKED
            or path.startswith(api_docs.ASSETS + "/")
        ):
            await self.app(scope, receive, send)
            return
        async with writer.lock:
            await self.app(scope, receive, send)


def create_app(ledger: Ledger, cosigner: witnesses.Cosigner | None = None) -> FastAPI:
    """The FastAPI application serving ``ledger`` (already started).

    With a ``cosigner``, ``/checkpoint`` serves the newest checkpoint its witnesses co-signed.
    """
    holder: dict[str, Submitter] = {}
    subscribers: set[asyncio.Queue[str]] = set()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        submitter = Submitter(ledger)
        submitter.start()
        holder["writer"] = submitter
        loop = asyncio.get_running_loop()

        def publish(rows: list[dict[str, Any]]) -> None:
            events = [f"event: reading\ndata: {json.dumps(views.reading(r))}\n\n" for r in rows]

            def deliver() -> None:
                for queue in list(subscribers):
                    for event in events:
                        if queue.full():
                            queue.get_nowait()  # a slow reader loses the oldest events, not the server
                        queue.put_nowait(event)

            loop.call_soon_threadsafe(deliver)

        ledger.listeners.append(publish)
        cosigning = None
        if cosigner is not None:
            cosigning = loop.create_task(witnesses.serve_checkpoints(cosigner, ledger, submitter.lock))
        try:
            yield
        finally:
            ledger.listeners.remove(publish)
            if cosigner is not None and cosigning is not None:
                cosigning.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await cosigning
                await cosigner.close()
            await submitter.stop()

    # /docs and /redoc from the Swagger UI and ReDoc files fastapi-offline ships, not from a CDN
    # (backend/api_docs.py). No validator: Swagger UI would send the schema to its host.
    app = FastAPIOffline(
        static_url=api_docs.ASSETS,
        swagger_ui_parameters={"validatorUrl": None},
        title="Lease Chain ledger",
        version="1",
        description="Verifiable ledger of equipment tokens, leases, telemetry and rent (docs/ledger.md).",
        lifespan=lifespan,
    )
    app.add_middleware(ReadLock, submitter=lambda: holder.get("writer"))
    app.add_middleware(api_docs.LocalOnly)
    metrics = Metrics()
    metrics.start_seconds.set(ledger.open_seconds)
    metrics.started_from.set(ledger.started_from)
    app.add_middleware(RequestMetrics, metrics=metrics, router=app.router)
    http_errors.install(app)
    app.include_router(market_api.router(ledger))  # the marketplace and credit scores (docs/market.md)
    cursors = Cursors(ledger.key)

    @app.exception_handler(CursorError)
    async def bad_cursor(_request: Request, exc: CursorError) -> Response:
        return error("bad_cursor", str(exc), 400)

    def after(listing: str, cursor: str | None) -> Any:  # noqa: ANN401 - a cursor's sort key
        return None if cursor is None else cursors.read(listing, cursor)

    def page(request: Request, data: Any, listing: str, last: Any) -> Response:  # noqa: ANN401 - JSON, key
        """A page of a list: with a Link to the next page when ``last`` (its last row's key) is set."""
        link = None if last is None else paging.next_link(request, cursors.issue(listing, last))
        return _json(data, headers=link)

    def writer() -> Submitter:
        return holder["writer"]

    async def append(items: list[Submission]) -> list[dict[str, Any] | TransactionError]:
        outcomes = await writer().submit(items)
        if cosigner is not None:
            cosigner.wake.set()
        metrics.appends.inc(sum(1 for o in outcomes if isinstance(o, dict) and o.get("status") == "accepted"))
        return outcomes

    async def answer_one(item: Submission) -> Response:
        outcome = (await append([item]))[0]
        if isinstance(outcome, TransactionError):
            return _json(_refusal(outcome), http_status(outcome.reason))
        return _json(outcome)

    @app.get("/healthz")
    async def healthz() -> Response:
        """Liveness: the process answers."""
        return _json({"status": "ok"})

    @app.get("/readyz")
    async def readyz() -> Response:
        """Readiness: the log is loaded, the writer runs and the database answers."""
        try:
            await asyncio.to_thread(ledger.storage.ping)
        except BackendError as exc:
            return error("not_ready", str(exc), 503)
        if "writer" not in holder:
            return error("not_ready", "the writer has not started", 503)
        return _json({"status": "ready", "tree_size": ledger.size})

    @app.get("/metrics")
    async def prometheus() -> Response:
        """Prometheus text format: requests, latency, appends, log size, start-up time."""
        metrics.log_size.set(ledger.size)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/v1/info")
    async def info() -> Response:
        """The log key, currency and size."""
        state = ledger.state
        return _json(
            {
                "log_key": state.operator,
                "name": state.name,
                "currency": state.currency,
                "size": ledger.size,
                "origin": ledger.origin,
                "vkey": ledger.note_key().vkey(),
            }
        )

    @app.get("/checkpoint")
    async def checkpoint() -> Response:
        """The current tree as a c2sp.org/tlog-checkpoint signed note by the log key.

        With witnesses, the newest checkpoint whose cosignatures met the witness policy.
        """
        body = ledger.signed_checkpoint() if cosigner is None else cosigner.published.note
        if body is None:
            return error("not_witnessed", "no checkpoint has met the witness policy yet", 503)
        return Response(
            body,
            media_type="text/plain; charset=utf-8",
            headers={"Cache-Control": "no-store"},
        )

    @app.get("/tile/{path:path}")
    async def tile(path: str) -> Response:
        """A c2sp.org/tlog-tiles tile (``<L>/<N>[.p/<W>]``) or entry bundle (``entries/<N>[.p/<W>]``)."""
        try:
            data = await asyncio.to_thread(tiles.resource, ledger.storage, ledger.tree, path)
        except TileError as exc:
            return error("bad_request", str(exc), 400)
        return Response(
            data, media_type="application/octet-stream", headers={"Cache-Control": tiles.IMMUTABLE}
        )

    @app.post("/v1/transactions", openapi_extra=CBOR_BODY)
    async def submit(request: Request) -> Response:
        """Submit one signed transaction (its exact CBOR bytes)."""
        body = await read_body(request, MAX_TX_SIZE)
        if isinstance(body, Response):
            return body
        return await answer_one(body)

    @app.post("/v1/transactions/batch", openapi_extra=CBOR_BODY)
    async def submit_batch(request: Request) -> Response:
        """Submit a CBOR array of signed transactions; each gets its own outcome."""
        body = await read_body(request, MAX_BODY)
        if isinstance(body, Response):
            return body
        try:
            items = cbor.loads(body, what="transaction batch")
        except ProtocolError as exc:
            return error("bad_encoding", exc.detail, 400)
        if not isinstance(items, list) or not all(isinstance(i, bytes) for i in items):
            return error("bad_encoding", "a batch must be a CBOR array of signed transactions (bstr)", 400)
        outcomes = await append(list(items))
        return _json({"results": [_refusal(o) if isinstance(o, TransactionError) else o for o in outcomes]})

    @app.post("/v1/batches", openapi_extra=CBOR_BODY)
    async def submit_anchor(request: Request) -> Response:
        """Submit an ``anchor_batch`` with its messages: the CBOR array ``[transaction, [message, ...]]``."""
        body = await read_body(request, MAX_BATCH_BODY)
        if isinstance(body, Response):
            return body
        try:
            item = cbor.loads(body, what="batch submission")
        except ProtocolError as exc:
            return error("bad_encoding", exc.detail, 400)
        if not (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], bytes)
            and isinstance(item[1], list)
            and all(isinstance(m, bytes) for m in item[1])
        ):
            shape = "a batch submission is the CBOR array [transaction, [message, ...]]"
            return error("bad_encoding", shape, 400)
        return await answer_one(WithMessages(item[0], item[1]))

    @app.get("/v1/batches/{index}")
    async def batch(index: Index) -> Response:
        """An anchored batch: its transaction's root and count, and its messages in leaf order."""
        stored = await asyncio.to_thread(ledger.storage.batch, index)
        if stored is None:
            raise NotFoundError("batch", index)
        messages = await asyncio.to_thread(ledger.storage.batch_messages, index)
        return _json(views.batch(stored, messages))

    def entry_json(index: int) -> dict[str, Any]:
        row = ledger.storage.log_row(index)
        if row is None:
            raise NotFoundError("log entry", index)
        entry = decode_entry(row.entry)
        tx = decode(entry.tx, check_signature=False)
        return {
            "index": row.index,
            "time": row.time,
            "leaf_hash": row.leaf_hash.hex(),
            "entry": row.entry.hex(),
            "type": tx.type,
            "id": tx.id,
            "signer": tx.signer,
            "args": views.args(tx.args),
            "result": json.loads(row.result),
        }

    @app.get("/v1/transactions/{index}")
    async def transaction(index: Index) -> Response:
        """One log entry, decoded."""
        return _json(await asyncio.to_thread(entry_json, index))

    @app.get("/v1/transactions/by-id/{signer}/{tx_id}")
    async def transaction_by_id(signer: str, tx_id: str) -> Response:
        """The entry of a signer's transaction id."""
        index = ledger.index_of(signer, tx_id)
        if index is None:
            raise NotFoundError("transaction", f"{signer}/{tx_id}")
        return _json(await asyncio.to_thread(entry_json, index))

    @app.get("/v1/log/tree-head")
    async def tree_head() -> Response:
        """The latest signed tree head."""
        return _json((await asyncio.to_thread(ledger.tree_head)).to_json())

    @app.get("/v1/log/proof/inclusion")
    async def inclusion(index: Index, tree_size: Index) -> Response:
        """RFC 9162 inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
        path = ledger.inclusion_proof(index, tree_size)
        return _json(
            {
                "leaf_index": index,
                "tree_size": tree_size,
                "leaf_hash": ledger.tree.leaf(index).hex(),
                "audit_path": [p.hex() for p in path],
            }
        )

    @app.get("/v1/log/proof/consistency")
    async def consistency(first: Index, second: Index) -> Response:
        """RFC 9162 consistency proof between tree sizes ``first`` and ``second``."""
        proof = ledger.consistency_proof(first, second)
        return _json({"first": first, "second": second, "proof": [p.hex() for p in proof]})

    @app.get("/v1/log/entries")
    async def entries(start: Index = 0, end: Index | None = None) -> Response:
        """Raw entries ``[start, end)`` in hex, at most 1000."""
        stop = min(ledger.size, end if end is not None else ledger.size, start + MAX_ENTRIES)
        rows = await asyncio.to_thread(lambda: list(ledger.storage.log_rows(start, max(start, stop))))
        return _json({"entries": [{"index": r.index, "entry": r.entry.hex()} for r in rows]})

    @app.get("/v1/state/digest")
    async def digest() -> Response:
        """Tree size and the digest of the state it implies."""
        size, digest = ledger.size, await asyncio.to_thread(ledger.digest)
        return _json({"tree_size": size, "state_digest": digest.hex()})

    @app.get("/v1/anchors")
    async def anchors() -> Response:
        """The newest on-chain anchor recorded per (chain, contract) (docs/chain.md)."""
        return _json([views.chain_anchor(a) for _, a in sorted(ledger.state.anchors.items())])

    @app.get("/v1/enterprises")
    async def enterprises(
        request: Request, limit: PageLimit = paging.MAX_PAGE, cursor: CursorParam = None
    ) -> Response:
        """Enterprises with their credit records, by account; a page at a time (docs: Paging)."""
        start = paging.text_key(after("enterprises", cursor), "enterprise") if cursor else None
        rows, more = paging.by_id(ledger.state.enterprises, start, limit)
        last = rows[-1][0] if more else None
        return page(request, [views.enterprise(e) for _, e in rows], "enterprises", last)

    @app.get("/v1/enterprises/{account}")
    async def enterprise(account: str) -> Response:
        """One enterprise with its credit record."""
        found = ledger.state.enterprises.get(account)
        if found is None:
            raise NotFoundError("enterprise", account)
        return _json(views.enterprise(found))

    @app.get("/v1/tokens")
    async def tokens(
        request: Request, limit: PageLimit = paging.MAX_PAGE, cursor: CursorParam = None
    ) -> Response:
        """Tokens by id, a page at a time (docs: Paging)."""
        now = ledger.now()
        start = paging.text_key(after("tokens", cursor), "token") if cursor else None
        rows, more = paging.by_id(ledger.state.tokens, start, limit)
        last = rows[-1][0] if more else None
        return page(request, [views.token(t, ledger.state, now) for _, t in rows], "tokens", last)

    def find_token(token_id: str) -> Any:  # noqa: ANN401 - a Token
        found = ledger.state.tokens.get(token_id)
        if found is None:
            raise NotFoundError("token", token_id)
        return found

    @app.get("/v1/tokens/{token_id}")
    async def token(token_id: str) -> Response:
        """One token."""
        return _json(views.token(find_token(token_id), ledger.state, ledger.now()))

    @app.get("/v1/tokens/{token_id}/holders")
    async def holders(token_id: str) -> Response:
        """Share holders of a token."""
        found = find_token(token_id)
        return _json(
            {
                "token": token_id,
                "total_shares": found.total_shares,
                "holders": dict(sorted(found.holdings.items())),
            }
        )

    @app.get("/v1/tokens/{token_id}/usage")
    async def usage(token_id: str, start: Seconds, end: Seconds) -> Response:
        """Verified run-seconds of a token stamped in ``[start, end)``."""
        find_token(token_id)
        found = await asyncio.to_thread(ledger.readings.increments, token_id, start, end, ledger.size)
        seconds = sum(i.seconds for i in found)
        return _json({"token": token_id, "start": start, "end": end, "run_seconds": seconds})

    @app.get("/v1/devices")
    async def devices(
        request: Request, limit: PageLimit = paging.MAX_PAGE, cursor: CursorParam = None
    ) -> Response:
        """Device bindings by device id (the registry gateways sync), a page at a time."""
        start = paging.text_key(after("devices", cursor), "device") if cursor else None
        rows, more = paging.by_id(ledger.state.bindings, start, limit)
        last = rows[-1][0] if more else None
        body = {"size": ledger.size, "devices": [views.binding(b) for _, b in rows]}
        return page(request, body, "devices", last)

    @app.get("/v1/devices/{device}")
    async def device(device: str) -> Response:
        """One device binding."""
        found = ledger.state.bindings.get(parse_device_id(device).hex())
        if found is None:
            raise NotFoundError("device", device)
        return _json(views.binding(found))

    @app.get("/v1/accounts/{account}")
    async def account(account: str) -> Response:
        """Balances of an account's settlement account (and of any ledger account named exactly)."""
        books = ledger.state.books
        name = account if ":" in account or account == "external" else settlement(account)
        return _json({"account": name, "balance": books.balance(name)})

    @app.get("/v1/accounts/{account}/journal")
    async def journal(
        request: Request, account: str, limit: JournalLimit = 1000, cursor: CursorParam = None
    ) -> Response:
        """Postings that touched an account, oldest first, a page at a time."""
        name = account if ":" in account or account == "external" else settlement(account)
        listing = f"journal:{name}"
        start = paging.int_keys(after(listing, cursor), 1, "journal")[0] + 1 if cursor else 0
        lines, last = paging.journal_page(ledger.state.books.journal, name, start, limit)
        return page(request, {"account": name, "postings": [views.posting(p) for p in lines]}, listing, last)

    @app.get("/v1/leases")
    async def leases(
        request: Request, limit: PageLimit = paging.MAX_PAGE, cursor: CursorParam = None
    ) -> Response:
        """Leases by id, a page at a time (docs: Paging)."""
        now = ledger.now()
        start = paging.text_key(after("leases", cursor), "lease") if cursor else None
        rows, more = paging.by_id(ledger.state.leases, start, limit)
        last = rows[-1][0] if more else None
        return page(request, [views.lease(v, ledger.state, now) for _, v in rows], "leases", last)

    @app.get("/v1/leases/{lease_id}")
    async def lease(lease_id: str) -> Response:
        """One lease with its invoices."""
        found = ledger.state.leases.get(lease_id)
        if found is None:
            raise NotFoundError("lease", lease_id)
        return _json(views.lease(found, ledger.state, ledger.now()))

    @app.get("/v1/leases/{lease_id}/periods/{period}/evidence")
    async def period_evidence(lease_id: str, period: Index) -> Response:
        """What an invoice of an ended period must name: usage, reading count and evidence digest."""
        found = ledger.state.leases.get(lease_id)
        if found is None:
            raise NotFoundError("lease", lease_id)
        try:
            ev = await asyncio.to_thread(
                ended_period_evidence, ledger.readings, found, period, ledger.now(), ledger.size
            )
        except TransactionError as exc:  # bad_period, period_not_ended: the ledger's own refusal
            return error(exc.reason.value, exc.detail, http_status(exc.reason))
        return _json(views.evidence(found, period, ev))

    @app.get("/v1/invoices/{invoice_id}")
    async def invoice(invoice_id: str) -> Response:
        """One invoice with its payout lines."""
        found = ledger.state.invoices.get(invoice_id)
        if found is None:
            raise NotFoundError("invoice", invoice_id)
        return _json(views.invoice(found))

    @app.get("/v1/payouts/{account}")
    async def payouts(
        request: Request, account: str, limit: PageLimit = paging.MAX_PAGE, cursor: CursorParam = None
    ) -> Response:
        """Payout lines an account received, invoice by invoice, a page at a time."""
        listing = f"payouts:{account}"
        start = paging.payout_key(after(listing, cursor)) if cursor else None
        lines, last = paging.payouts_page(ledger.state.invoices, account, start, limit)
        return page(request, {"account": account, "payouts": lines}, listing, last)

    @app.get("/v1/telemetry")
    async def telemetry(
        request: Request,
        device: str | None = None,
        token: str | None = None,
        since: Seconds | None = None,
        until: Seconds | None = None,
        status: str | None = None,
        limit: ReadingsLimit = 100,
        cursor: CursorParam = None,
    ) -> Response:
        """Stored device messages by device, token, stamp range and verdict; stamp order, paged."""
        listing = "telemetry:" + json.dumps([device, token, since, until, status])
        resume = paging.int_keys(after(listing, cursor), 3, "telemetry") if cursor else None
        tokens: list[str] = []
        if device is not None:
            device = parse_device_id(device).hex()
            binding = ledger.state.bindings.get(device)
            tokens = ["", binding.token] if binding is not None else [""]
        rows = await asyncio.to_thread(
            ledger.storage.readings,
            device=device,
            token=token,
            since=since,
            until=until,
            status=status,
            limit=limit + 1,
            tokens=tokens,
            after=None if resume is None else (resume[0], resume[1], resume[2]),
        )
        last = [rows[limit - 1][k] for k in ("stamp", "batch", "position")] if len(rows) > limit else None
        return page(request, {"readings": [views.reading(r) for r in rows[:limit]]}, listing, last)

    @app.get("/v1/telemetry/{batch}/{position}/proof")
    async def reading_proof(batch: Index, position: Position) -> Response:
        """A message, its inclusion in its batch, the batch's entry and its inclusion in the log."""
        return _json(await asyncio.to_thread(ledger.reading_proof, batch, position))

    @app.get("/v1/stream/readings")
    async def stream(request: Request) -> StreamingResponse:
        """Server-Sent Events: one ``reading`` event per newly verified reading."""
        queue: asyncio.Queue[str] = asyncio.Queue(STREAM_QUEUE)
        subscribers.add(queue)

        async def events() -> AsyncIterator[str]:
            try:
                yield ": connected\n\n"
                while not await request.is_disconnected():
                    try:
                        yield await asyncio.wait_for(queue.get(), timeout=15)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
            finally:
                subscribers.discard(queue)

        return StreamingResponse(events(), media_type="text/event-stream")

    return app
