"""Deposits, withdrawals and shares, in double-entry books."""

from __future__ import annotations

from backend.ledger import Ledger
from chain_client.ledger import TxReason
from tests.backend.world import World


def test_deposits_and_withdrawals_balance(world: World, ledger: Ledger) -> None:
    alice = world.enterprise("alice", "investor")
    world.refused(TxReason.NOT_REVIEWER, alice, "deposit", account=alice.account, amount=5, reference="r")
    world.refused(
        TxReason.UNKNOWN_ENTERPRISE,
        world.operator,
        "deposit",
        account=world.party("x").account,
        amount=5,
        reference="r",
    )
    world.refused(
        TxReason.BAD_ARGS, world.operator, "deposit", account=alice.account, amount=0, reference="r"
    )
    world.fund(alice, 1000)
    world.refused(TxReason.INSUFFICIENT_FUNDS, alice, "withdraw", amount=1001, reference="r")
    world.do(alice, "withdraw", amount=400, reference="iban")
    books = ledger.state.books
    assert world.balance(alice) == 600
    assert books.balance("external") == -600
    assert sum(books.balances.values()) == 0
    assert [(p.debit, p.credit, p.amount) for p in books.journal] == [
        ("external", f"settlement:{alice.account}", 1000),
        (f"settlement:{alice.account}", "external", 400),
    ]


def test_buying_and_transferring_shares(world: World, ledger: Ledger) -> None:
    maker = world.enterprise("maker", "manufacturer")
    alice = world.enterprise("alice", "investor")
    bob = world.enterprise("bob", "investor")
    lessee = world.enterprise("lessee", "lessee")
    token = world.mint(maker, "SN-1", shares=10, share_price=100)
    world.refused(TxReason.INSUFFICIENT_FUNDS, alice, "buy_shares", token=token, count=1)
    world.fund(alice, 2000)
    world.refused(TxReason.NOT_ENOUGH_SHARES, alice, "buy_shares", token=token, count=11)
    world.refused(TxReason.ROLE_NOT_ALLOWED, lessee, "buy_shares", token=token, count=1)
    world.refused(TxReason.UNKNOWN_TOKEN, alice, "buy_shares", token="tok-x", count=1)
    world.do(alice, "buy_shares", token=token, count=6)
    assert world.balance(maker) == 600
    assert world.balance(alice) == 1400
    world.refused(TxReason.NOT_ENOUGH_SHARES, alice, "transfer_shares", token=token, to=bob.account, count=7)
    world.refused(
        TxReason.ROLE_NOT_ALLOWED, alice, "transfer_shares", token=token, to=lessee.account, count=1
    )
    world.do(alice, "transfer_shares", token=token, to=bob.account, count=2)
    assert ledger.state.tokens[token].holdings == {maker.account: 4, alice.account: 4, bob.account: 2}
    assert sum(ledger.state.books.balances.values()) == 0
