"""The contracts on a real anvil: append-only anchors, the ERC-721/4907 mirror, foreign accounts refused."""

from __future__ import annotations

import pytest
from web3.exceptions import ContractCustomError, ContractLogicError

from bridge.chain import Chain
from bridge.errors import BridgeError
from chain_client.evm import Rpc, anchor_at, latest_anchor, writer_of
from tests.bridge.conftest import ORIGIN, Deployed

pytestmark = pytest.mark.anvil
ROOT_A = bytes(range(32))
ROOT_B = bytes(range(1, 33))


def _anchor(chain: Chain, d: Deployed, size: int, root: bytes, cosigs: int = 0, origin: str = ORIGIN) -> None:
    chain.transact(
        chain.contract("CheckpointAnchor", d.anchor).functions.anchor(origin, size, root, cosigs), "anchor"
    )


def test_anchors_append_only_and_read_by_latest_and_by_size(deployed: Deployed) -> None:
    _anchor(deployed.writer, deployed, 10, ROOT_A, 2)
    _anchor(deployed.writer, deployed, 25, ROOT_B, 3)
    with Rpc(deployed.owner.w3.provider.endpoint_uri) as rpc:  # type: ignore[attr-defined]
        latest = latest_anchor(rpc, deployed.anchor, ORIGIN)
        assert (latest.size, latest.root, latest.cosignatures) == (25, ROOT_B, 3)
        first = anchor_at(rpc, deployed.anchor, ORIGIN, 10)
        assert (first.size, first.root, first.cosignatures) == (10, ROOT_A, 2)
        assert anchor_at(rpc, deployed.anchor, ORIGIN, 11).size == 0
        assert latest_anchor(rpc, deployed.anchor, "other.test/log").size == 0
        assert writer_of(rpc, deployed.anchor, ORIGIN) == deployed.writer.address.lower()
    for size in (25, 24):  # the same size again, or a smaller one: refused, history kept
        with pytest.raises(BridgeError, match="refuses"):
            _anchor(deployed.writer, deployed, size, ROOT_A)


def test_anchor_emits_an_event_naming_origin_size_and_root(deployed: Deployed) -> None:
    contract = deployed.writer.contract("CheckpointAnchor", deployed.anchor)
    receipt = deployed.writer.transact(contract.functions.anchor(ORIGIN, 7, ROOT_A, 1), "anchor")
    (event,) = contract.events.CheckpointAnchored().process_receipt(receipt)
    assert event["args"]["size"] == 7
    assert event["args"]["root"] == ROOT_A
    assert event["args"]["origin"] == ORIGIN
    assert event["args"]["originHash"] == deployed.writer.w3.keccak(text=ORIGIN)


@pytest.mark.parametrize("who", ["owner", "stranger"])
def test_only_the_logs_anchoring_account_anchors(deployed: Deployed, who: str) -> None:
    chain = getattr(deployed, who)
    with pytest.raises(BridgeError, match="refuses"):
        _anchor(chain, deployed, 5, ROOT_A)
    with pytest.raises(BridgeError, match="refuses"):  # an unregistered origin, even by its writer
        _anchor(deployed.writer, deployed, 5, ROOT_A, origin="other.test/log")


def test_only_the_owner_registers_logs(deployed: Deployed) -> None:
    contract = deployed.stranger.contract("CheckpointAnchor", deployed.anchor)
    with pytest.raises(BridgeError, match="refuses"):
        deployed.stranger.send(
            contract.functions.registerLog("mine.test/log", deployed.stranger.address), "register"
        )
    owner_side = deployed.owner.contract("CheckpointAnchor", deployed.anchor)
    with pytest.raises(BridgeError, match="refuses"):  # an origin is registered once
        deployed.owner.send(owner_side.functions.registerLog(ORIGIN, deployed.stranger.address), "register")


def _mirror(
    d: Deployed, chain: Chain, ledger_id: str, owner: str, user: str, expires: int, status: int
) -> None:
    fn = chain.contract("MachineToken", d.token).functions.mirror(ledger_id, owner, user, expires, status)
    chain.transact(fn, "mirror")


def test_the_lessee_stays_the_user_when_the_token_is_sold(deployed: Deployed) -> None:
    w = deployed.writer
    token = w.contract("MachineToken", deployed.token)
    alice, bob, lessee = (w.w3.to_checksum_address(f"0x{n:040x}") for n in (0xA11CE, 0xB0B, 0x1E55EE))
    far = 4_000_000_000
    _mirror(deployed, w, "tok-0001", alice, "0x" + "00" * 20, 0, 2)
    tid = token.functions.tokenIdOf("tok-0001").call()
    assert tid == int.from_bytes(w.w3.keccak(text="tok-0001"), "big")
    assert token.functions.ownerOf(tid).call() == alice
    assert token.functions.tokenURI(tid).call() == "https://explorer.test/machine/tok-0001"
    assert token.functions.statusOf(tid).call() == 2
    _mirror(deployed, w, "tok-0001", alice, lessee, far, 3)  # leased
    _mirror(deployed, w, "tok-0001", bob, lessee, far, 3)  # sold during the lease
    assert token.functions.ownerOf(tid).call() == bob
    assert token.functions.userOf(tid).call() == lessee
    assert token.functions.userExpires(tid).call() == far
    assert token.functions.supportsInterface(bytes.fromhex("ad092b5c")).call()  # ERC-4907
    assert token.functions.supportsInterface(bytes.fromhex("80ac58cd")).call()  # ERC-721
    _mirror(deployed, w, "tok-0001", bob, "0x" + "00" * 20, 0, 5)  # retired
    assert token.functions.statusOf(tid).call() == 5
    assert list(token.functions.mirrored("tok-0001").call()) == [bob, "0x" + "00" * 20, 0, 5]


def test_a_foreign_account_cannot_mint_update_or_move_tokens(deployed: Deployed) -> None:
    w, s = deployed.writer, deployed.stranger
    _mirror(deployed, w, "tok-0002", s.address, "0x" + "00" * 20, 0, 2)
    token = s.contract("MachineToken", deployed.token)
    tid = token.functions.tokenIdOf("tok-0002").call()
    with pytest.raises(BridgeError, match="refuses"):
        _mirror(deployed, s, "tok-0003", s.address, "0x" + "00" * 20, 0, 2)
    with pytest.raises(BridgeError, match="refuses"):
        s.send(token.functions.setUser(tid, s.address, 4_000_000_000), "setUser")
    # Even its on-chain holder cannot move it: the ledger's owner is the owner.
    with pytest.raises(BridgeError, match="refuses"):
        s.send(token.functions.transferFrom(s.address, deployed.owner.address, tid), "transfer")
    with pytest.raises(BridgeError, match="refuses"):
        _mirror(deployed, w, "tok-0002", s.address, "0x" + "00" * 20, 0, 9)  # no such status
    with pytest.raises((ContractLogicError, ContractCustomError)):  # a token never minted
        token.functions.statusOf(12345).call()
