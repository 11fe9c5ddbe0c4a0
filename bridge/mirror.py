"""Mirroring machine tokens: each ledger token's owner, user, lease end and status on ``MachineToken``.

Like anchoring, a step derives what to send from both sides: a token whose confirmed on-chain
picture already matches the ledger is remembered as done; one whose newest (unconfirmed) picture
matches waits; any other gets one ``mirror`` call, which sets the whole picture at once, so
sending it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3.exceptions import BadFunctionCallOutput

from bridge.accounts import ZERO, evm_address
from bridge.chain import Chain
from bridge.config import BridgeConfig
from bridge.ledger import LedgerView
from chain_client.client import models as m
from chain_client.ledger.schema import TokenStatus

# MachineToken's status numbers (its statusOf): 0 is "not minted".
STATUS_CODES = {
    TokenStatus.IN_TRANSIT: 1,
    TokenStatus.WAREHOUSED: 2,
    TokenStatus.LEASED: 3,
    TokenStatus.RETURNED: 4,
    TokenStatus.RETIRED: 5,
}
MAX_SENDS = 32  # transactions one step sends at most: a fleet's backlog drains over several steps


@dataclass(frozen=True)
class Picture:
    """What a token shows: owner, ERC-4907 user and expiry, status code."""

    owner: str
    user: str
    expires: int
    status: int


NOTHING = Picture(ZERO, ZERO, 0, 0)


@dataclass(frozen=True)
class MirrorResult:
    """What one step did."""

    sent: int
    waiting: int
    done: int


def wanted(token: m.Token, infos: dict[str, dict[str, str]]) -> Picture:
    """The picture the ledger's ``token`` calls for."""
    user = evm_address(token.user, infos) if token.user else ZERO
    return Picture(
        owner=evm_address(token.owner, infos),
        user=user,
        expires=token.user_expires if token.user else 0,
        status=STATUS_CODES[TokenStatus(token.status)],
    )


class Mirror:
    """Keeps ``MachineToken`` in step with the ledger's tokens."""

    def __init__(self, config: BridgeConfig, chain: Chain, ledger: LedgerView) -> None:
        self.config = config
        self.chain = chain
        self.ledger = ledger
        self.contract = chain.contract("MachineToken", config.token_contract)
        self.done: dict[str, Picture] = {}  # pictures confirmed on chain; lost on restart, read again

    def picture(self, token_id: str, block: int) -> Picture:
        """The token's picture on chain at ``block`` (all zero before it is minted)."""
        try:
            owner, user, expires, status = self.contract.functions.mirrored(token_id).call(
                block_identifier=block
            )
        except BadFunctionCallOutput:  # a block before the contract's deployment: nothing there yet
            return NOTHING
        return Picture(str(owner).lower(), str(user).lower(), int(expires), int(status))

    def step(self) -> MirrorResult:
        """One pass over the tokens that differ from what is known to be on chain."""
        if self.chain.in_flight():
            return MirrorResult(0, 1, len(self.done))
        head = self.chain.head()
        confirmed_block = max(0, head - self.config.confirmations + 1)
        infos = self.ledger.infos()
        sent = waiting = 0
        for token in self.ledger.tokens():
            want = wanted(token, infos)
            if self.done.get(token.id) == want:
                continue
            if self.picture(token.id, confirmed_block) == want:
                self.done[token.id] = want
            elif self.picture(token.id, head) == want:
                waiting += 1
            elif sent < MAX_SENDS:
                checksum = self.chain.w3.to_checksum_address
                call = self.contract.functions.mirror(
                    token.id, checksum(want.owner), checksum(want.user), want.expires, want.status
                )
                self.chain.send(call, f"mirroring token {token.id}")
                sent += 1
        return MirrorResult(sent, waiting, len(self.done))
