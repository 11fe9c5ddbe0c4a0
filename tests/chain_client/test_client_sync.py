"""The sync ledger client against a real ``leasechain-backend serve`` process."""

from __future__ import annotations

import re

import pytest
from nacl.signing import SigningKey

from chain_client.client import (
    LedgerClient,
    NotFoundError,
    RejectedError,
    TxBuilder,
    UnreachableError,
)
from chain_client.device import device_id
from chain_client.ledger import TransactionError, TxReason, verify_tree_head
from chain_client.ledger.proofs import verify_reading_proof
from chain_client.merkle import verify_consistency, verify_inclusion
from harness.ports import free_port
from tests.backend.world import reading, seeded_key
from tests.gateway.ledger_backend import LedgerBackend


def certified(backend: LedgerBackend, label: str, *roles: str) -> SigningKey:
    key = seeded_key(f"sync-{label}")
    with LedgerClient(backend.url, key) as client:
        client.register_enterprise(label, roles, {"country": "DE"})
    with LedgerClient(backend.url, backend.operator) as operator:
        operator.approve_enterprise(bytes(key.verify_key).hex())
    return key


def test_a_manufacturer_mints_and_binds_with_typed_results(backend: LedgerBackend) -> None:
    maker = certified(backend, "maker1", "manufacturer")
    sensor = SigningKey.generate()
    with LedgerClient(backend.url, maker) as client:
        minted = client.mint_token(
            "SN-1",
            "CNC-5",
            price=100_000,
            salvage_value=10_000,
            shares=100,
            share_price=10,
            specs={"spindle": "12kW"},
        )
        assert minted.status == "accepted"
        assert minted.type == "mint_token"
        token = client.token(minted.token)
        assert token.manufacturer == client.tx.account
        assert token.status == "warehoused"
        assert token.specs == {"spindle": "12kW"}
        bound = client.bind_device(minted.token, bytes(sensor.verify_key))
        assert bound.device == device_id(bytes(sensor.verify_key)).hex()
        binding = client.device(bound.device)
        assert binding.token == minted.token
        assert binding.status == "active"
        assert client.holders(minted.token).holders == {client.tx.account: 100}


def test_refusals_carry_the_named_reason_and_status(backend: LedgerBackend) -> None:
    maker = certified(backend, "maker2", "manufacturer")
    stranger = seeded_key("sync-stranger")
    with LedgerClient(backend.url, maker) as client:
        client.mint_token("SN-2", "CNC-5", price=10, salvage_value=1, shares=1, share_price=1)
        with pytest.raises(RejectedError) as info:
            client.mint_token("SN-2", "CNC-5", price=10, salvage_value=1, shares=1, share_price=1)
        assert info.value.tx_reason is TxReason.DUPLICATE_TOKEN
        assert info.value.status == 409
    with LedgerClient(backend.url, stranger) as client, pytest.raises(RejectedError) as info:
        client.mint_token("SN-3", "CNC-5", price=10, salvage_value=1, shares=1, share_price=1)
    assert info.value.tx_reason in (TxReason.NOT_REGISTERED, TxReason.NOT_CERTIFIED)
    assert info.value.status == 403


def test_a_retry_of_the_same_bytes_is_a_duplicate_and_another_body_an_id_conflict(
    backend: LedgerBackend,
) -> None:
    key = seeded_key("sync-retry")
    builder = TxBuilder(key, ledger=bytes(backend.operator.verify_key))
    tx = builder.register_enterprise("retry", ["lessee"], tx_id="reg-1")
    with LedgerClient(backend.url) as client:
        first = client.submit_tx(tx)
        again = client.submit_tx(tx)
        assert (first.status, again.status) == ("accepted", "duplicate")
        assert again.index == first.index
        with pytest.raises(RejectedError) as info:
            client.submit_tx(builder.register_enterprise("other", ["lessee"], tx_id="reg-1"))
        assert info.value.tx_reason is TxReason.ID_CONFLICT


def test_bad_arguments_fail_before_anything_is_sent() -> None:
    builder = TxBuilder(SigningKey.generate())
    with pytest.raises(TransactionError, match="argument 'count' is 0"):
        builder.buy_shares("tok-1", 0)
    with pytest.raises(TransactionError, match="is 3 bytes, expected 32"):
        builder.bind_device("tok-1", b"abc")
    with pytest.raises(TransactionError, match="not hex"):
        builder.bind_device("tok-1", "zz")


def test_unknown_entities_and_unreachable_backends(backend: LedgerBackend) -> None:
    with LedgerClient(backend.url) as client:
        with pytest.raises(NotFoundError) as info:
            client.token("tok-0000000000000000")
        assert info.value.status == 404
    dead = f"http://127.0.0.1:{free_port()}"
    with LedgerClient(dead, retries=1) as client, pytest.raises(UnreachableError, match=re.escape(dead)):
        client.info()


def test_anchoring_proofs_and_tree_heads(backend: LedgerBackend) -> None:
    maker = certified(backend, "maker3", "manufacturer")
    gateway = certified(backend, "gw3", "service")
    sensor = SigningKey.generate()
    with LedgerClient(backend.url, maker) as client:
        token = client.mint_token("SN-9", "CNC-5", price=10, salvage_value=1, shares=1, share_price=1).token
        client.bind_device(token, bytes(sensor.verify_key))
    messages = [reading(sensor, seq=i, run_seconds=60 * i) for i in range(1, 4)]
    with LedgerClient(backend.url, gateway) as client:
        first_head = client.tree_head()
        outcome = client.anchor_batch(messages).anchor
        assert (outcome.count, outcome.verified, outcome.rejected) == (3, 3, [])
        log_key = bytes.fromhex(client.info().log_key)
        proof = client.reading_proof(outcome.batch, 1)
        assert verify_reading_proof(proof, log_key) == messages[1]
        head = client.tree_head()
        verify_tree_head(head, log_key)
        inclusion = client.inclusion_proof(outcome.batch, head.size)
        verify_inclusion(
            bytes.fromhex(inclusion.leaf_hash),
            outcome.batch,
            head.size,
            [bytes.fromhex(p) for p in inclusion.audit_path],
            head.root,
        )
        consistency = client.consistency_proof(first_head.size, head.size)
        verify_consistency(
            first_head.size,
            head.size,
            first_head.root,
            head.root,
            [bytes.fromhex(p) for p in consistency.proof],
        )
        rows = client.telemetry(token=token, status="verified")
        assert [r.seq for r in rows] == [1, 2, 3]
        assert sum(r.increment for r in rows) == 120
        assert client.usage(token, 0, 2**40).run_seconds == 120
        raw = list(client.iter_entries(outcome.batch, outcome.batch + 1))
        assert raw[0].index == outcome.batch


def test_batch_submission_gives_each_transaction_its_outcome(backend: LedgerBackend) -> None:
    key = seeded_key("sync-batch")
    builder = TxBuilder(key, ledger=bytes(backend.operator.verify_key))
    good = builder.register_enterprise("batch", ["investor"])
    bad = builder.withdraw(5, "ref-1")
    with LedgerClient(backend.url) as client:
        results = client.submit_many([good.raw, bad.raw])
    assert results[0].status == "accepted"
    assert isinstance(results[1], RejectedError)
    assert results[1].tx_reason is TxReason.NOT_CERTIFIED  # pending: registered but not yet approved


def test_derived_ids_match_the_ledgers(backend: LedgerBackend) -> None:
    from chain_client.client import token_id

    maker = certified(backend, "maker-ids", "manufacturer")
    with LedgerClient(backend.url, maker) as client:
        minted = client.mint_token("SN-ID", "CNC-5", price=10, salvage_value=1, shares=1, share_price=1)
        assert minted.token == token_id(client.tx.account, "SN-ID")
