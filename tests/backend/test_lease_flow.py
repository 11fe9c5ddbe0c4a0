"""A whole lease, from registration to the last payout, on the ledger."""

from __future__ import annotations

from backend.ledger import Ledger
from chain_client.ledger import TxReason
from tests.backend.world import DAY, T0, World, batch_args, reading, seeded_key


def test_full_lease_pays_fees_then_holders_exactly(world: World, ledger: Ledger) -> None:
    maker = world.enterprise("maker", "manufacturer")
    lessee = world.enterprise("lessee", "lessee")
    alice = world.enterprise("alice", "investor")
    bob = world.enterprise("bob", "investor")
    gateway = world.enterprise("gateway", "service")
    world.fund(alice, 10_000)
    world.fund(bob, 10_000)
    world.fund(lessee, 50_000)
    token = world.mint(maker, "SN-1", shares=100, share_price=10, fee_terms=[(gateway, 500)])
    world.do(alice, "buy_shares", token=token, count=30)
    world.do(bob, "buy_shares", token=token, count=10)
    assert world.balance(maker) == 400
    device = seeded_key("device-1")
    world.do(maker, "bind_device", token=token, public_key=bytes(device.verify_key))
    terms = world.lease_terms(token, lessee, fees=[{"account": gateway.account, "bps": 500}])
    lease = world.do(maker, "offer_lease", **terms)["lease"]
    world.do(lessee, "sign_lease", lease=lease)
    assert ledger.state.tokens[token].user == lessee.account
    # Two hours of running inside day 0: counters 100 -> 3700 -> 7300 run-seconds.
    messages = [
        reading(device, seq=1, time=T0 + 60, run_seconds=100),
        reading(device, seq=2, time=T0 + 3700, run_seconds=3700),
        reading(device, seq=3, time=T0 + 7300, run_seconds=7300),
    ]
    result = world.do(gateway, "anchor_batch", tx_id="batch-1", **batch_args(messages))
    assert result["verified"] == 3
    assert result["rejected"] == []
    world.clock.advance(DAY)
    invoice = world.do(maker, "issue_invoice", lease=lease, period=0)
    assert invoice["usage_seconds"] == 7200
    assert invoice["usage_charge"] == 720
    assert invoice["amount"] == 1720
    paid = world.do(lessee, "pay_invoice", invoice=invoice["invoice"])
    assert paid["on_time"] is True
    lines = ledger.state.invoices[invoice["invoice"]].payouts
    assert sum(p.amount for p in lines) == 1720
    fee = [p for p in lines if p.kind == "fee"]
    assert fee[0].amount == 86  # floor(1720 * 500 / 10000)
    shares = {p.account: p.amount for p in lines if p.kind == "share"}
    # pool 1634 over 60/30/10 shares: 980.4, 490.2, 163.4 -> floors 980, 490, 163, one unit left
    assert shares == {maker.account: 981, alice.account: 490, bob.account: 163}
    world.refused(TxReason.LEASE_NOT_ENDED, lessee, "close_lease", lease=lease)
    world.clock.advance(2 * DAY)
    for period in (1, 2):
        inv = world.do(maker, "issue_invoice", lease=lease, period=period)
        assert inv["usage_seconds"] == 0
        world.do(lessee, "pay_invoice", invoice=inv["invoice"])
    closed = world.do(lessee, "close_lease", lease=lease)
    assert closed["deposit_returned"] == 500
    credit = ledger.state.enterprises[lessee.account].credit
    # period 1 was invoiced by the owner a day after it ended: the hour of grace runs from the issue
    assert (credit.on_time_payments, credit.late_payments, credit.completed_leases) == (3, 0, 1)
    assert ledger.state.tokens[token].status == "returned"
    assert sum(ledger.state.books.balances.values()) == 0
