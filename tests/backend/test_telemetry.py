"""Telemetry anchoring: batch checks, per-message verdicts, usage meters and reading proofs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from backend.ledger import Ledger, WithMessages
from chain_client.device import device_id
from chain_client.errors import MerkleError
from chain_client.ledger import TransactionError, TxReason
from chain_client.ledger.proofs import verify_reading_proof
from chain_client.ledger.schema import MAX_MESSAGES
from chain_client.ledger.usage import Counter, increment
from chain_client.reasons import Reason
from tests.backend.world import DAY, T0, Party, World, batch_args, reading, seeded_key


def _setup(world: World) -> tuple[Party, Party, str]:
    maker = world.enterprise("maker", "manufacturer")
    gateway = world.enterprise("gateway", "service")
    token = world.mint(maker, "SN-1")
    world.do(maker, "bind_device", token=token, public_key=bytes(seeded_key("dev").verify_key))
    return maker, gateway, token


def test_batch_level_checks(world: World) -> None:
    maker, gateway, _ = _setup(world)
    dev = seeded_key("dev")
    msgs = [reading(dev, seq=1), reading(dev, seq=2)]
    args = batch_args(msgs)
    world.refused(TxReason.ROLE_NOT_ALLOWED, maker, "anchor_batch", **args)
    world.refused(TxReason.BATCH_COUNT_MISMATCH, gateway, "anchor_batch", **{**args, "count": 3})
    world.refused(TxReason.BATCH_ROOT_MISMATCH, gateway, "anchor_batch", **{**args, "root": bytes(32)})
    world.refused(TxReason.BATCH_DUPLICATE_MESSAGE, gateway, "anchor_batch", **batch_args([msgs[0], msgs[0]]))
    world.refused(TxReason.BAD_ARGS, gateway, "anchor_batch", **{**args, "messages": ["text"]})
    # The messages travel beside the transaction, and only beside an anchor_batch.
    bare = world.tx(gateway, "anchor_batch", root=args["root"], count=2)
    with pytest.raises(TransactionError) as info:
        world.ledger.submit(bare)
    assert info.value.reason is TxReason.BATCH_MESSAGES_MISSING
    with pytest.raises(TransactionError) as info:
        world.ledger.submit(WithMessages(world.tx(gateway, "withdraw", amount=1, reference="r"), msgs))
    assert info.value.reason is TxReason.BAD_ARGS


def test_a_batch_entry_commits_to_its_messages_without_holding_them(world: World, ledger: Ledger) -> None:
    _, gateway, _ = _setup(world)
    dev = seeded_key("dev")
    msgs = [reading(dev, seq=i, run_seconds=i) for i in range(1, MAX_MESSAGES + 1)]
    batch = world.do(gateway, "anchor_batch", **batch_args(msgs))["batch"]
    row = ledger.storage.log_row(batch)
    assert row is not None
    assert len(row.entry) < 1024  # a C2SP tile entry may be up to 64 KiB
    assert ledger.storage.batch_messages(batch) == msgs


def test_each_message_gets_its_verdict(world: World, ledger: Ledger) -> None:
    _maker, gateway, token = _setup(world)
    dev = seeded_key("dev")
    stranger = seeded_key("stranger")
    good = reading(dev, seq=1)
    forged = bytearray(reading(dev, seq=2))
    forged[-1] ^= 1
    msgs = [good, bytes(forged), reading(stranger, seq=1), b"\xa0", reading(dev, seq=1, run_seconds=5)]
    result = world.do(gateway, "anchor_batch", tx_id="b-1", **batch_args(msgs))
    assert result["verified"] == 1
    assert result["duplicates"] == 1  # same (device, boot, seq) as the first, different bytes
    assert result["rejected"] == [
        {"position": 1, "reason": Reason.BAD_SIGNATURE.value},
        {"position": 2, "reason": Reason.UNKNOWN_DEVICE.value},
        {"position": 3, "reason": Reason.WRONG_TAG.value},
    ]
    rows = ledger.storage.readings(token=token, limit=10)
    assert [r["status"] for r in rows] == ["verified", "rejected", "duplicate"]
    # a later batch repeating a verified reading adds nothing either
    again = world.do(gateway, "anchor_batch", tx_id="b-2", **batch_args([good]))
    assert (again["verified"], again["duplicates"]) == (0, 1)


def test_rotated_and_revoked_keys(world: World, ledger: Ledger) -> None:
    maker, gateway, token = _setup(world)
    old, new = seeded_key("dev"), seeded_key("dev-new")
    world.clock.advance(100)
    rotated_at = world.clock.now
    world.do(maker, "rotate_device", token=token, public_key=bytes(new.verify_key))
    msgs = [
        reading(old, seq=1, time=rotated_at - 10),  # signed before the rotation: still good
        reading(old, seq=2, time=rotated_at + 10),  # after it: refused
        reading(old, seq=3, time=rotated_at - 5, synced=False),  # cannot prove "before"
        reading(new, seq=1, time=rotated_at + 10),
    ]
    result = world.do(gateway, "anchor_batch", **batch_args(msgs))
    assert result["verified"] == 2
    assert [r["position"] for r in result["rejected"]] == [1, 2]
    assert {r["reason"] for r in result["rejected"]} == {Reason.REVOKED_DEVICE.value}
    world.do(maker, "revoke_device", token=token, reason="stolen")
    result = world.do(gateway, "anchor_batch", **batch_args([reading(new, seq=2, time=rotated_at + 20)]))
    assert result["rejected"] == [{"position": 0, "reason": Reason.REVOKED_DEVICE.value}]


def test_usage_meter_rule(world: World, ledger: Ledger) -> None:
    _maker, gateway, token = _setup(world)
    dev = seeded_key("dev")
    msgs = [
        reading(dev, seq=1, time=T0 + 10, run_seconds=1000),  # baseline
        reading(dev, seq=3, time=T0 + 20, run_seconds=1600),  # +600
        reading(dev, seq=2, time=T0 + 15, run_seconds=1300),  # late: verified, not counted
        reading(dev, boot=2, seq=1, time=T0 + 30, run_seconds=1700),  # new boot, counter persisted: +100
        reading(dev, boot=2, seq=2, time=T0 + 40, run_seconds=50),  # counter went down: +0, new baseline
        reading(dev, boot=2, seq=3, time=T0 + 50, run_seconds=80),  # +30
        reading(dev, boot=2, seq=4, time=5, synced=False, run_seconds=100),  # +20 stamped at anchor time
    ]
    world.clock.advance(DAY)
    world.do(gateway, "anchor_batch", **batch_args(msgs))

    def usage(start: int, end: int) -> int:
        return sum(i[3] for i in ledger.readings.increments(token, start, end, ledger.size))

    assert usage(T0, T0 + 60) == 730
    assert usage(T0 + 25, T0 + 60) == 130
    assert usage(world.clock.now, world.clock.now + 1) == 20
    increments = [
        r["increment"] for r in sorted(ledger.storage.readings(token=token), key=lambda r: r["position"])
    ]
    assert increments == [0, 600, 0, 100, 0, 30, 20]
    assert increment(None, Counter(1, 1, 500)) == 0


def test_reading_proofs_verify_with_the_foundation(world: World, ledger: Ledger) -> None:
    _, gateway, _ = _setup(world)
    dev = seeded_key("dev")
    msgs = [reading(dev, seq=i, run_seconds=i) for i in range(1, 8)]
    batch = world.ledger.submit(world.submission(gateway, "anchor_batch", **batch_args(msgs)))["index"]
    world.do(world.operator, "add_reviewer", account=gateway.account)  # the log grows after the batch
    for position in (0, 3, 6):
        proof = ledger.reading_proof(batch, position)
        assert verify_reading_proof(proof, bytes(world.operator.key.verify_key)) == msgs[position]
    proof = ledger.reading_proof(batch, 2)
    tampered = {**proof, "message": msgs[3].hex()}
    with pytest.raises(MerkleError):
        verify_reading_proof(tampered, bytes(world.operator.key.verify_key))


def test_a_retried_batch_is_counted_once(world: World, ledger: Ledger) -> None:
    _, gateway, token = _setup(world)
    dev = seeded_key("dev")
    raw = world.submission(
        gateway,
        "anchor_batch",
        tx_id="gw-batch-7",
        **batch_args([reading(dev, seq=1), reading(dev, seq=2, run_seconds=60)]),
    )
    first = ledger.submit(raw)
    size = ledger.size
    second = ledger.submit(raw)
    assert second["status"] == "duplicate"
    assert (second["index"], second["result"]) == (first["index"], first["result"])
    assert ledger.size == size
    assert sum(i[3] for i in ledger.readings.increments(token, 0, 2**40, ledger.size)) == 60
    other = world.submission(gateway, "anchor_batch", tx_id="gw-batch-7", **batch_args([reading(dev, seq=3)]))
    with pytest.raises(TransactionError) as info:
        ledger.submit(other)
    assert info.value.reason is TxReason.ID_CONFLICT


@pytest.mark.slow
def test_big_batches_judged_in_workers_match_the_sequential_verdicts(
    world: World, ledger: Ledger, make_ledger: Callable[..., Ledger]
) -> None:
    _maker, gateway, _token = _setup(world)
    dev = seeded_key("dev")
    msgs = [reading(dev, seq=i, run_seconds=i * 2) for i in range(1, 700)]
    msgs[100] = msgs[100][:-1] + bytes([msgs[100][-1] ^ 1])
    msgs.append(reading(seeded_key("other"), seq=1))
    result = world.do(gateway, "anchor_batch", tx_id="big", **batch_args(msgs))
    assert result["verified"] == 698
    assert result["rejected"] == [
        {"position": 100, "reason": Reason.BAD_SIGNATURE.value},
        {"position": 699, "reason": Reason.UNKNOWN_DEVICE.value},
    ]
    digest = ledger.digest()
    ledger.close()
    sequential = make_ledger(workers=1)
    assert sequential.digest() == digest
    assert device_id(bytes(dev.verify_key)).hex() in sequential.state.counters


@pytest.mark.slow
def test_a_batch_judged_ahead_of_its_turn_gets_the_verdicts_of_its_turn(world: World, ledger: Ledger) -> None:
    maker, gateway, _token = _setup(world)
    dev, late = seeded_key("dev"), seeded_key("late")
    # A first batch judged in the workers gives the verifier a key map to judge ahead under.
    first = world.do(gateway, "anchor_batch", **batch_args([reading(dev, seq=i) for i in range(1, 600)]))
    assert first["verified"] == 599
    msgs = [reading(dev, seq=i) for i in range(600, 1200)] + [reading(late, seq=1)]
    item = world.submission(gateway, "anchor_batch", **batch_args(msgs))
    ledger.prepare(item)  # judged while "late" has no key
    world.do(maker, "bind_device", token=world.mint(maker, "SN-2"), public_key=bytes(late.verify_key))
    result = ledger.submit(item)["result"]
    assert (result["verified"], result["rejected"]) == (601, [])
    # Under unchanged bindings, the verdicts judged ahead are those of the batch's own messages.
    msgs = [reading(dev, seq=i) for i in range(1200, 1800)] + [reading(seeded_key("unbound"), seq=1)]
    msgs[7] = msgs[7][:-1] + bytes([msgs[7][-1] ^ 1])
    item = world.submission(gateway, "anchor_batch", **batch_args(msgs))
    ledger.prepare(item)
    ledger.prepare(item)  # a retry of the same request
    result = ledger.submit(item)["result"]
    assert result["verified"] == 599
    assert result["rejected"] == [
        {"position": 7, "reason": Reason.BAD_SIGNATURE.value},
        {"position": 600, "reason": Reason.UNKNOWN_DEVICE.value},
    ]
    # Once the verifier is closed (the server stopping), judging ahead starts no worker again.
    ledger.verifier.close()
    ledger.prepare(world.submission(gateway, "anchor_batch", **batch_args(msgs[:-1])))
    assert ledger.verifier._pool is None


@pytest.mark.slow
def test_only_a_batch_its_turn_would_judge_is_judged_ahead(world: World, ledger: Ledger) -> None:
    # A request anyone can send must not make the workers verify its messages: judging ahead
    # waits for a signed, new anchor_batch of a certified service whose count is its messages'.
    maker, gateway, _token = _setup(world)
    dev = seeded_key("dev")
    world.do(gateway, "anchor_batch", **batch_args([reading(dev, seq=i) for i in range(1, 600)]))
    msgs = [reading(dev, seq=i) for i in range(600, 1200)]
    stranger = world.party("stranger")
    forged = world.submission(gateway, "anchor_batch", **batch_args(msgs))
    assert isinstance(forged, WithMessages)
    refused = [
        world.submission(stranger, "anchor_batch", **batch_args(msgs)),  # not registered
        world.submission(maker, "anchor_batch", **batch_args(msgs)),  # not a service
        world.submission(gateway, "anchor_batch", **{**batch_args(msgs), "count": 599}),
        WithMessages(forged.raw[:-1] + bytes([forged.raw[-1] ^ 1]), msgs),  # a broken signature
        WithMessages(b"\xa0", msgs),  # not a transaction
    ]
    logged = world.submission(gateway, "anchor_batch", **batch_args(msgs))
    ledger.submit(logged)
    for item in [*refused, logged]:  # the last one is in the log already: a replay
        ledger.prepare(item)
        assert ledger.verifier.judged_ahead == 0
    ledger.prepare(world.submission(gateway, "anchor_batch", **batch_args(msgs[1:])))
    assert ledger.verifier.judged_ahead == 1
