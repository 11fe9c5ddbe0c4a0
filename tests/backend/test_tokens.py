"""Tokens (ERC-721 semantics and lifecycle) and the device keys bound to them."""

from __future__ import annotations

from backend.ledger import Ledger
from chain_client.device import device_id
from chain_client.ledger import TxReason
from tests.backend.world import World, seeded_key


def test_a_machine_is_tokenized_once(world: World, ledger: Ledger) -> None:
    maker = world.enterprise("maker", "manufacturer")
    other = world.enterprise("other", "manufacturer")
    token = world.mint(maker, "SN-1")
    assert token.startswith("tok-")
    assert ledger.state.tokens[token].owner == maker.account
    world.refused(
        TxReason.DUPLICATE_TOKEN,
        maker,
        "mint_token",
        serial="SN-1",
        model="X",
        specs={},
        price=5,
        salvage_value=0,
        shares=1,
        share_price=1,
        fee_terms=[],
    )
    assert world.mint(other, "SN-1") != token  # another maker's serial is another machine
    world.refused(
        TxReason.BAD_ARGS,
        maker,
        "mint_token",
        serial="SN-2",
        model="X",
        specs={},
        price=5,
        salvage_value=6,
        shares=1,
        share_price=1,
        fee_terms=[],
    )


def test_approval_and_transfer(world: World, ledger: Ledger) -> None:
    maker = world.enterprise("maker", "manufacturer")
    buyer = world.enterprise("buyer", "lessee", "investor")
    agent = world.enterprise("agent", "service")
    token = world.mint(maker, "SN-1")
    world.refused(TxReason.UNKNOWN_TOKEN, maker, "transfer_token", token="tok-nope", to=buyer.account)
    world.refused(TxReason.NOT_OWNER_OR_APPROVED, agent, "transfer_token", token=token, to=buyer.account)
    world.refused(TxReason.NOT_OWNER, agent, "approve_token", token=token, spender=agent.account)
    world.refused(TxReason.NOT_REGISTERED, maker, "transfer_token", token=token, to=world.party("x").account)
    world.do(maker, "approve_token", token=token, spender=agent.account)
    world.do(agent, "transfer_token", token=token, to=buyer.account)
    found = ledger.state.tokens[token]
    assert (found.owner, found.approved) == (buyer.account, "")
    world.refused(TxReason.NOT_OWNER_OR_APPROVED, agent, "transfer_token", token=token, to=maker.account)


def test_lifecycle_moves(world: World, ledger: Ledger) -> None:
    maker = world.enterprise("maker", "manufacturer")
    buyer = world.enterprise("buyer", "investor")
    token = world.mint(maker, "SN-1")
    assert ledger.state.tokens[token].status == "warehoused"
    world.do(maker, "set_token_status", token=token, status="in_transit")
    world.refused(TxReason.BAD_STATUS_TRANSITION, maker, "set_token_status", token=token, status="leased")
    world.refused(TxReason.BAD_STATUS_TRANSITION, maker, "set_token_status", token=token, status="returned")
    world.do(maker, "set_token_status", token=token, status="retired")
    world.refused(TxReason.TOKEN_RETIRED, maker, "set_token_status", token=token, status="warehoused")
    world.refused(TxReason.TOKEN_RETIRED, maker, "transfer_token", token=token, to=buyer.account)


def test_device_binding_rotation_and_revocation(world: World, ledger: Ledger) -> None:
    maker = world.enterprise("maker", "manufacturer")
    token = world.mint(maker, "SN-1")
    token2 = world.mint(maker, "SN-2")
    k1, k2, k3 = (bytes(seeded_key(f"dev-{i}").verify_key) for i in range(3))
    world.refused(TxReason.NO_ACTIVE_DEVICE, maker, "rotate_device", token=token, public_key=k2)
    world.refused(TxReason.NO_ACTIVE_DEVICE, maker, "revoke_device", token=token, reason="lost")
    world.do(maker, "bind_device", token=token, public_key=k1)
    world.refused(TxReason.DEVICE_ALREADY_BOUND, maker, "bind_device", token=token, public_key=k2)
    world.refused(TxReason.DEVICE_IN_USE, maker, "bind_device", token=token2, public_key=k1)
    world.refused(TxReason.BAD_ARGS, maker, "bind_device", token=token2, public_key=b"short")
    world.do(maker, "rotate_device", token=token, public_key=k2)
    d1, d2 = device_id(k1).hex(), device_id(k2).hex()
    assert ledger.state.bindings[d1].status == "rotated"
    assert ledger.state.bindings[d2].status == "active"
    world.refused(TxReason.DEVICE_IN_USE, maker, "rotate_device", token=token, public_key=k1)
    # a reviewer may revoke a device of a token it does not own; others may not
    stranger = world.enterprise("stranger", "manufacturer")
    world.refused(TxReason.NOT_OWNER, stranger, "revoke_device", token=token, reason="x")
    world.do(world.operator, "revoke_device", token=token, reason="tampered")
    assert ledger.state.bindings[d2].status == "revoked"
    assert ledger.state.bindings[d2].reason == "tampered"
    world.do(maker, "bind_device", token=token, public_key=k3)
    assert ledger.state.tokens[token].devices == [d1, d2, device_id(k3).hex()]
