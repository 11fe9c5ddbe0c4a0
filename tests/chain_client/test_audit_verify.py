"""The offline verifier recomputes what the ledger computed, on a device history with every twist.

Rotation (old readings still count when provably older), a revoked key, a
forged signature anchored as it came, a duplicate delivery, an unsynchronised
clock, a reboot whose counter went down: the verifier's meter must agree with
the backend's invoice exactly.
"""

from __future__ import annotations

import time

from nacl.signing import SigningKey

from chain_client.audit import export_bundle, verify_bundle
from chain_client.client import LedgerClient
from tests.backend.world import reading, seeded_key
from tests.gateway.ledger_backend import LedgerBackend

PERIOD = 6


def party(backend: LedgerBackend, label: str, role: str) -> SigningKey:
    key = seeded_key(f"audit-{label}")
    with LedgerClient(backend.url, key) as c:
        c.register_enterprise(label, [role])
    with LedgerClient(backend.url, backend.operator) as op:
        op.approve_enterprise(bytes(key.verify_key).hex())
    return key


def _forged(raw: bytes) -> bytes:
    """The message with one bit of its signature (the last 64 bytes) flipped: it decodes, it fails."""
    return raw[:-1] + bytes([raw[-1] ^ 1])


def test_the_verifier_agrees_with_the_ledger_on_a_twisted_history(backend: LedgerBackend) -> None:
    maker, lessee = party(backend, "maker", "manufacturer"), party(backend, "lessee", "lessee")
    investor, gateway = party(backend, "investor", "investor"), party(backend, "gw", "service")
    old, new = SigningKey.generate(), SigningKey.generate()
    with LedgerClient(backend.url, backend.operator) as op:
        op.deposit(bytes(lessee.verify_key).hex(), 10_000, "bank-1")
        op.deposit(bytes(investor.verify_key).hex(), 10_000, "bank-2")
    m, g = LedgerClient(backend.url, maker), LedgerClient(backend.url, gateway)
    with m, g, LedgerClient(backend.url, lessee) as le, LedgerClient(backend.url, investor) as inv:
        token = m.mint_token("TW-1", "CNC-5", price=1000, salvage_value=0, shares=7, share_price=1).token
        m.bind_device(token, bytes(old.verify_key))
        inv.buy_shares(token, 3)
        now = int(time.time())
        lease = m.offer_lease(
            token,
            bytes(lessee.verify_key).hex(),
            start=now,
            end=now + PERIOD,
            period=PERIOD,
            fixed_rent=100,
            usage_rate=3600,
            deposit=0,
            grace=60,
        ).lease
        le.sign_lease(lease)
        g.anchor_batch(
            [
                reading(old, seq=1, time=now, run_seconds=100),  # baseline
                reading(
                    old, seq=2, time=0, synced=False, run_seconds=400
                ),  # stamped with the batch time: +300
            ]
        )
        time.sleep(1.1)  # so the rotation's ledger time is after the old key's last synced reading
        m.rotate_device(token, bytes(new.verify_key))
        g.anchor_batch(
            [
                reading(old, seq=1, time=now, run_seconds=100),  # delivered again: duplicate
                reading(old, seq=3, time=now, run_seconds=700),  # signed before the rotation: +300
                reading(old, seq=4, time=now + 10_000, run_seconds=900),  # after the rotation: refused
                reading(new, seq=1, time=now + 1, run_seconds=50),  # the new key's baseline
                reading(new, seq=2, time=now + 1, run_seconds=650),  # +600
                reading(new, boot=2, seq=1, time=now + 2, run_seconds=10),  # counter went down: +0
                reading(new, boot=2, seq=2, time=now + 2, run_seconds=110),  # +100
                _forged(reading(new, boot=2, seq=9, time=now + 2, run_seconds=9000)),  # bad signature
            ]
        )
        m.revoke_device(token, "sensor stolen")
        g.anchor_batch([reading(new, boot=2, seq=3, time=now + 3, run_seconds=5000)])  # revoked: refused
        time.sleep(max(0.0, now + PERIOD + 1 - time.time()))
        issued = m.issue_invoice(lease, 0)
        unpaid = verify_bundle(export_bundle(m, lease, 0))
        le.pay_invoice(issued.invoice)
        invoice = m.invoice(issued.invoice)
        bundle = export_bundle(m, lease, 0)

    report = verify_bundle(bundle)
    assert report.failures == []
    assert invoice.usage_seconds == 300 + 300 + 600 + 100
    assert report.summary["usage_seconds"] == invoice.usage_seconds
    assert report.summary["amount"] == invoice.amount
    assert report.summary["duplicates"] == 1
    # the old key after its rotation, the forged reading, the new key after revocation
    assert report.summary["rejected"] == 3
    assert len(bundle.readings) == 11
    assert report.summary["paid"] is True
    # before the payment the invoice verifies as well, with nothing distributed yet
    assert unpaid.failures == []
    assert unpaid.summary["paid"] is False
    assert unpaid.summary["usage_seconds"] == invoice.usage_seconds
