"""An invoice of a lease that began as a proposal: the auditor rebuilds its terms from the proposal,
its listing and its request, and names what is wrong when one of them is missing or misclaimed."""

from __future__ import annotations

import time

from nacl.signing import SigningKey

from chain_client.audit import export_bundle, verify_bundle
from chain_client.client import LedgerClient
from chain_client.ledger.entry import decode_entry
from chain_client.ledger.transaction import decode
from tests.backend.world import seeded_key
from tests.gateway.ledger_backend import LedgerBackend

PERIOD = 4


def _party(backend: LedgerBackend, label: str, role: str) -> SigningKey:
    key = seeded_key(f"audit-market-{label}")
    with LedgerClient(backend.url, key) as c:
        c.register_enterprise(label, [role])
    with LedgerClient(backend.url, backend.operator) as op:
        op.approve_enterprise(bytes(key.verify_key).hex())
    return key


def test_a_proposals_invoice_verifies_and_a_missing_listing_is_named(backend: LedgerBackend) -> None:
    maker, lessee = _party(backend, "maker", "manufacturer"), _party(backend, "lessee", "lessee")
    with LedgerClient(backend.url, backend.operator) as op:
        op.deposit(bytes(lessee.verify_key).hex(), 10_000, "bank-1")
    with LedgerClient(backend.url, maker) as m, LedgerClient(backend.url, lessee) as le:
        token = m.mint_token("MK-1", "CNC-5", price=1000, salvage_value=0, shares=5, share_price=1).token
        now = int(time.time())
        request = le.post_request("cnc-mill", site="Halle", start=now, term=PERIOD, budget=10**9, hours=10)
        listing = m.list_machine(
            token,
            kind="cnc-mill",
            site="Halle",
            period=PERIOD,
            fixed_rent=70,
            usage_rate=0,
            deposit=40,
            min_term=PERIOD,
            max_term=10 * PERIOD,
        )
        lease = m.propose(
            request.result["request"], listing.result["listing"], start=now, deposit=40, expires=now + PERIOD
        ).lease
        le.sign_lease(lease)
        time.sleep(max(0.0, now + PERIOD + 1 - time.time()))
        le.pay_invoice(le.issue_invoice(lease, 0).invoice)
        bundle = export_bundle(m, lease, 0)
    log_key = bytes(backend.operator.verify_key).hex()
    report = verify_bundle(bundle, log_key)
    assert report.ok, report.failures
    kinds = {decode(decode_entry(bytes.fromhex(e.entry)).tx).type for e in bundle.entries}
    assert {"propose", "list_machine", "post_request"} <= kinds
    lease_claim = bundle.claims.lease.model_copy(update={"deposit": 0})
    misclaimed = bundle.model_copy(update={"claims": bundle.claims.model_copy(update={"lease": lease_claim})})
    failures = verify_bundle(misclaimed, log_key).failures
    assert any(f.check == "lease_terms" and "deposit" in f.where for f in failures), failures
    kept = [
        e for e in bundle.entries if decode(decode_entry(bytes.fromhex(e.entry)).tx).type != "list_machine"
    ]
    failures = verify_bundle(bundle.model_copy(update={"entries": kept}), log_key).failures
    assert any("lacks its listing or request" in f.detail for f in failures), failures
