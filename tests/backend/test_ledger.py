"""The log itself: idempotency, tree heads, proofs, restart and replay to the same state digest."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy

from backend.errors import BackendError
from backend.ledger import Ledger
from backend.storage import Storage
from chain_client import merkle
from chain_client.ledger import TransactionError, TxReason, sign, verify_tree_head
from chain_client.ledger.entry import decode_entry
from tests.backend.world import World, seeded_key


def _activity(world: World) -> None:
    maker = world.enterprise("maker", "manufacturer")
    alice = world.enterprise("alice", "investor")
    world.fund(alice, 500)
    token = world.mint(maker, "SN-1")
    world.do(alice, "buy_shares", token=token, count=3)


def test_every_accepted_transaction_is_a_provable_leaf(world: World, ledger: Ledger) -> None:
    _activity(world)
    head = ledger.tree_head()
    key = bytes(world.operator.key.verify_key)
    verify_tree_head(head, key)
    rows = list(ledger.storage.log_rows())
    assert [r.index for r in rows] == list(range(head.size))
    for row in rows:
        proof = ledger.inclusion_proof(row.index, head.size)
        merkle.verify_inclusion(merkle.leaf_hash(row.entry), row.index, head.size, proof, head.root)
    old = head
    world.do(world.operator, "add_reviewer", account=world.party("r").account)
    new = ledger.tree_head()
    assert new.size == old.size + 1
    merkle.verify_consistency(
        old.size, new.size, old.root, new.root, ledger.consistency_proof(old.size, new.size)
    )
    assert ledger.tree_head() == new  # no re-signing while the log stands still


def test_submissions_are_idempotent_by_signer_and_id(world: World, ledger: Ledger) -> None:
    alice = world.enterprise("alice", "investor")
    raw = world.tx(world.operator, "deposit", tx_id="dep-1", account=alice.account, amount=5, reference="r")
    first = ledger.submit(raw)
    assert first["status"] == "accepted"
    assert ledger.submit(raw)["status"] == "duplicate"
    assert world.balance(alice) == 5
    clash = world.tx(world.operator, "deposit", tx_id="dep-1", account=alice.account, amount=6, reference="r")
    with pytest.raises(TransactionError) as info:
        ledger.submit(clash)
    assert info.value.reason is TxReason.ID_CONFLICT
    # another signer may use the same id
    world.do(alice, "withdraw", tx_id="dep-1", amount=1, reference="r")


def test_a_batch_of_submissions_keeps_its_order_and_refusals(world: World, ledger: Ledger) -> None:
    alice = world.enterprise("alice", "investor")
    outcomes = ledger.submit_many(
        [
            world.tx(world.operator, "deposit", account=alice.account, amount=5, reference="r"),
            world.tx(alice, "withdraw", amount=9, reference="r"),
            b"garbage",
            world.tx(alice, "withdraw", amount=5, reference="r"),
        ]
    )
    assert isinstance(outcomes[0], dict)
    assert isinstance(outcomes[3], dict)
    assert isinstance(outcomes[1], TransactionError)
    assert outcomes[1].reason is TxReason.INSUFFICIENT_FUNDS
    assert isinstance(outcomes[2], TransactionError)
    assert outcomes[2].reason is TxReason.BAD_ENCODING
    assert outcomes[3]["index"] == outcomes[0]["index"] + 1


def test_a_closed_ledger_lets_its_state_go(world: World, ledger: Ledger) -> None:
    # A ledger opened again in the same process builds its state in this memory, not beside it.
    _activity(world)
    state, tree = weakref.ref(ledger.state), weakref.ref(ledger.tree)
    ledger.close()
    assert (state(), tree()) == (None, None)
    assert ledger.size == 0


def test_restart_and_replay_give_the_same_state_digest(
    world: World, ledger: Ledger, make_ledger: Callable[..., Ledger]
) -> None:
    _activity(world)
    head = ledger.tree_head()
    digest = ledger.digest()
    replayed = Ledger(Storage(ledger.storage.url, schema=ledger.storage.schema), None, verify_workers=1)
    replayed.open()
    assert (replayed.size, replayed.digest()) == (ledger.size, digest)
    replayed.close()
    ledger.close()
    again = make_ledger()
    assert again.digest() == digest
    assert again.tree_head() == head
    # the restarted ledger goes on where the first stopped
    World(again, world.clock).do(world.operator, "add_reviewer", account=world.party("r2").account)
    assert again.size == head.size + 1


def test_an_empty_log_takes_only_a_genesis(storage_spec: tuple[str, str | None]) -> None:
    url, schema = storage_spec
    ledger = Ledger(Storage(url, schema=schema), None, verify_workers=1)
    ledger.open()
    key = seeded_key("someone")
    with pytest.raises(TransactionError) as info:
        ledger.submit(sign("add_reviewer", "a", {"account": "0" * 64}, key, ledger=bytes(key.verify_key)))
    assert info.value.reason is TxReason.GENESIS_REQUIRED
    with pytest.raises(TransactionError) as info:
        ledger.submit(sign("genesis", "g", {"name": "n", "currency": "EUR"}, key, ledger=bytes(32)))
    assert info.value.reason is TxReason.WRONG_LEDGER
    ledger.submit(sign("genesis", "g", {"name": "n", "currency": "EUR"}, key, ledger=bytes(key.verify_key)))
    assert ledger.state.operator == bytes(key.verify_key).hex()
    ledger.close()
    wrong = Ledger(Storage(url, schema=schema), seeded_key("operator"), verify_workers=1)
    with pytest.raises(BackendError, match="is not the log's"):
        wrong.start("n", "EUR")
    wrong.close()


def test_a_rewritten_log_is_detected_at_start(world: World, ledger: Ledger) -> None:
    _activity(world)
    ledger.tree_head()
    row = ledger.storage.log_row(3)
    assert row is not None
    entry = decode_entry(row.entry)
    forged = row.entry.replace(entry.tx[-8:], bytes(8))
    from backend.storage import log_table

    with ledger.storage.engine.begin() as conn:
        conn.execute(sqlalchemy.update(log_table).where(log_table.c.idx == 3).values(entry=forged))
    ledger.close()
    reopened = Ledger(Storage(ledger.storage.url, schema=ledger.storage.schema), None, verify_workers=1)
    with pytest.raises(BackendError, match="log entry 3"):
        reopened.open()
    reopened.close()


def test_a_transaction_signed_for_one_ledger_is_refused_by_another(world: World, tmp_path: Path) -> None:
    """The replay attack: a withdrawal accepted here, resubmitted by anyone on a second ledger."""
    other = Ledger(Storage(f"sqlite:///{tmp_path / 'other.sqlite3'}"), seeded_key("other-operator"))
    other.start("Other platform", "EUR")
    try:
        there = World(other, world.clock)
        victim = world.enterprise("victim", "investor")
        assert there.enterprise("victim", "investor").account == victim.account
        world.fund(victim, 1_000)
        there.fund(victim, 1_000)
        raw = world.tx(victim, "withdraw", amount=600, reference="bank-7")
        world.ledger.submit(raw)
        with pytest.raises(TransactionError) as info:
            other.submit(raw)
        assert info.value.reason is TxReason.WRONG_LEDGER
        assert there.balance(victim) == 1_000
    finally:
        other.close()


def test_the_largest_well_formed_transaction_fits_one_c2sp_entry(world: World, ledger: Ledger) -> None:
    """Every entry stays under the 64 KiB of a tlog-tiles entry bundle, whatever its arguments."""
    wide = "\U0001d518" * 200  # 200 characters of 4 bytes each: the most a text argument holds
    info = {f"{i:02d}{wide[2:]}": wide for i in range(32)}
    result = ledger.submit(
        world.tx(world.party("wide"), "register_enterprise", name=wide, roles=["lessee"], info=info)
    )
    row = ledger.storage.log_row(result["index"])
    assert row is not None
    assert len(row.entry) < 64 * 1024
