"""The client at its boundary: forged, oversized and garbled exchanges, and a server that is briefly down.

The backend is the real one where it can be; a few answers no real backend
gives (non-JSON, wrong shapes, 503) come from a tiny HTTP server on a real
socket.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from nacl.signing import SigningKey

from chain_client import cbor
from chain_client.client import BadResponseError, LedgerClient, LedgerHTTPError, RejectedError, TxBuilder
from chain_client.client.sse import EventParser
from chain_client.ledger import TxReason
from tests.gateway.ledger_backend import LedgerBackend


def test_a_forged_signature_is_rejected_by_name(backend: LedgerBackend) -> None:
    builder = TxBuilder(SigningKey.generate(), ledger=bytes(backend.operator.verify_key))
    tx = builder.register_enterprise("forged", ["lessee"])
    body, _, signature = cbor.loads(tx.raw, what="tx")
    forged = cbor.dumps([body, bytes(SigningKey.generate().verify_key), signature])
    with LedgerClient(backend.url) as client, pytest.raises(RejectedError) as info:
        client.submit(forged)
    assert info.value.tx_reason is TxReason.BAD_SIGNATURE
    assert info.value.status == 400


def test_oversized_submissions_are_rejected_as_too_large(backend: LedgerBackend) -> None:
    with LedgerClient(backend.url) as client:
        with pytest.raises(RejectedError) as info:
            client.submit(b"\x00" * (4 * 1024 * 1024 + 1))
        assert info.value.tx_reason is TxReason.TOO_LARGE
        with pytest.raises(RejectedError) as info:
            client.submit(b"\x00" * (8 * 1024 * 1024 + 1))
        assert (info.value.tx_reason, info.value.status) == (TxReason.TOO_LARGE, 413)


def test_garbage_bytes_are_bad_encoding(backend: LedgerBackend) -> None:
    with LedgerClient(backend.url) as client, pytest.raises(RejectedError) as info:
        client.submit(b"\xff\x00garbage")
    assert info.value.tx_reason is TxReason.BAD_ENCODING


class Scripted(BaseHTTPRequestHandler):
    """Answers GETs from a script of (status, content type, body), one per request."""

    script: ClassVar[list[tuple[int, str, bytes]]] = []

    def do_GET(self) -> None:
        status, kind, body = self.script.pop(0) if self.script else (500, "text/plain", b"script ended")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[tuple[str, list[tuple[int, str, bytes]]]]:
    script: list[tuple[int, str, bytes]] = []
    handler = type("Handler", (Scripted,), {"script": script})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()


INFO = b'{"log_key": "00", "name": "n", "currency": "EUR", "size": 1}'


def test_unreadable_answers_are_bad_responses(scripted: tuple[str, list[tuple[int, str, bytes]]]) -> None:
    url, script = scripted
    script += [
        (200, "text/html", b"<html>proxy login</html>"),
        (200, "application/json", b'{"size": "many"}'),
    ]
    with LedgerClient(url, retries=0) as client:
        with pytest.raises(BadResponseError, match="non-JSON"):
            client.info()
        with pytest.raises(BadResponseError, match="is not a Info"):
            client.info()


def test_an_error_page_keeps_its_status(scripted: tuple[str, list[tuple[int, str, bytes]]]) -> None:
    url, script = scripted
    script.append((500, "text/html", b"<h1>Internal Server Error</h1>"))
    with LedgerClient(url, retries=0) as client, pytest.raises(LedgerHTTPError) as info:
        client.info()
    assert info.value.status == 500
    assert "Internal Server Error" in info.value.detail


def test_a_briefly_unavailable_backend_is_retried(scripted: tuple[str, list[tuple[int, str, bytes]]]) -> None:
    url, script = scripted
    script += [(503, "text/plain", b"busy"), (503, "text/plain", b"busy"), (200, "application/json", INFO)]
    with LedgerClient(url, retries=3) as client:
        assert client.info().size == 1
    assert script == []


def test_the_event_parser_reads_events_and_refuses_garbage() -> None:
    parser = EventParser()
    events = [
        e for line in [": connected", "", "event: reading", 'data: {"a": 1}', ""] for e in parser.feed(line)
    ]
    assert events == [("reading", {"a": 1})]
    list(parser.feed("event: reading"))
    list(parser.feed("data: {oops"))
    with pytest.raises(BadResponseError, match="non-JSON"):
        list(parser.feed(""))
