"""The clients' ``issue_invoice`` signs the evidence the ledger serves, read again once on a mismatch."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from nacl.signing import SigningKey

from chain_client.client import AsyncLedgerClient, LedgerClient, RejectedError
from chain_client.ledger import decode
from chain_client.ledger.evidence import evidence_digest

LEASE = "lease-0123456789abcdef"
EARLY, LATE = evidence_digest([(7, 0, 60)]), evidence_digest([(7, 0, 60), (9, 2, 40)])


class Ledger:
    """A backend whose meter grows by a late batch after the first evidence read."""

    def __init__(self, mismatches: int) -> None:
        self.reads = 0
        self.mismatches = mismatches
        self.signed: list[dict[str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/v1/leases/{LEASE}/periods/0/evidence":
            self.reads += 1
            usage, digest = (60, EARLY) if self.reads == 1 else (100, LATE)
            body = {"lease": LEASE, "period": 0, "start": 0, "end": 10, "usage_seconds": usage}
            return httpx.Response(200, json={**body, "count": self.reads, "evidence": digest.hex()})
        assert request.url.path == "/v1/transactions"
        tx = decode(request.content)
        self.signed.append(dict(tx.args))
        if len(self.signed) <= self.mismatches:
            detail = "invoice of period 0 named other evidence"
            return httpx.Response(
                409, json={"status": "rejected", "reason": "evidence_mismatch", "detail": detail}
            )
        answer = {"status": "accepted", "index": 12, "id": tx.id, "type": tx.type, "signer": tx.signer}
        return httpx.Response(200, content=json.dumps({**answer, "time": 1, "leaf_hash": "00", "result": {}}))


def test_a_late_batch_is_read_and_signed_once_more() -> None:
    ledger = Ledger(mismatches=1)
    client = LedgerClient(
        "http://ledger", SigningKey.generate(), ledger="11" * 32, transport=httpx.MockTransport(ledger)
    )
    with client:
        assert client.issue_invoice(LEASE, 0).index == 12
    assert [(a["usage_seconds"], a["evidence"]) for a in ledger.signed] == [(60, EARLY), (100, LATE)]


def test_a_second_mismatch_is_the_callers_and_the_async_client_does_the_same() -> None:
    ledger = Ledger(mismatches=2)
    client = LedgerClient(
        "http://ledger", SigningKey.generate(), ledger="11" * 32, transport=httpx.MockTransport(ledger)
    )
    with client, pytest.raises(RejectedError, match="evidence_mismatch"):
        client.issue_invoice(LEASE, 0)
    assert ledger.reads == 2

    async def run() -> int:
        transport = httpx.MockTransport(Ledger(mismatches=1))
        async with AsyncLedgerClient(
            "http://ledger", SigningKey.generate(), ledger="11" * 32, transport=transport
        ) as c:
            return (await c.issue_invoice(LEASE, 0)).index

    assert asyncio.run(run()) == 12
