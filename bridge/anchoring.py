"""Anchoring checkpoints: one step decides, from the chain and the ledger alone, what to do next.

A step (1) records in the ledger every anchor the chain holds with enough confirmations that the
ledger lacks, in order; (2) waits while an anchor of ours is in the node's pool or not yet
confirmed; (3) otherwise anchors the ledger's current checkpoint when it is due. Nothing is
remembered between steps but the time of the last anchor sent, so a restarted bridge takes up
exactly where the chain and the ledger say it is, and an anchor that a reorganisation dropped is
simply due again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.chain import Chain
from bridge.config import BridgeConfig
from bridge.errors import BridgeError
from bridge.ledger import LedgerView
from chain_client.ledger.schema import TxType

LOG_PAGE = 5_000  # blocks per eth_getLogs request: public endpoints cap the range


@dataclass(frozen=True)
class StepResult:
    """What one anchoring step did; ``action`` is one of: recorded, waiting, anchored, idle."""

    action: str
    detail: str
    anchored_size: int  # the newest size on chain (latest block)
    confirmed_size: int  # the newest size with enough confirmations
    recorded_size: int  # the newest size the ledger records
    ledger_size: int


class Anchorer:
    """Anchors one ledger's checkpoints on one ``CheckpointAnchor`` contract."""

    def __init__(
        self,
        config: BridgeConfig,
        chain: Chain,
        ledger: LedgerView,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.chain = chain
        self.ledger = ledger
        self.clock = clock
        self.contract = chain.contract("CheckpointAnchor", config.anchor_contract)
        self.last_sent = float("-inf")

    def _latest(self, origin: str, block: int | str) -> int:
        return int(self.contract.functions.latest(origin).call(block_identifier=block)[0])  # type: ignore[arg-type]

    def step(self) -> StepResult:
        """One decision; call it again after ``config.poll`` seconds."""
        witnessed = self.ledger.checkpoint()
        origin, size = witnessed.checkpoint.origin, witnessed.checkpoint.size
        # Asked before the head is read: with nothing of ours in flight then, every anchor we sent
        # is in a block at or below the head read next, and the reads below see it.
        busy = self.chain.in_flight()
        head = self.chain.head()
        confirmed_block = head - self.config.confirmations + 1
        on_chain = self._latest(origin, head)
        confirmed = self._latest(origin, confirmed_block) if confirmed_block >= 0 else 0
        known = self.ledger.recorded(self.config.chain_id, self.config.anchor_contract)
        recorded = known.size if known else 0

        def result(action: str, detail: str, recorded_size: int = recorded) -> StepResult:
            return StepResult(action, detail, on_chain, confirmed, recorded_size, size)

        if confirmed > recorded:
            start = known.block + 1 if known else self.config.start_block
            count = self._record(origin, recorded, start, confirmed_block)
            if count == 0:
                raise BridgeError(
                    f"the chain holds a confirmed anchor of size {confirmed}, but blocks "
                    f"{start}..{confirmed_block} hold no CheckpointAnchored event above the recorded "
                    "size: is --start-block right?"
                )
            return result("recorded", f"recorded {count} anchor(s) up to size {confirmed}", confirmed)
        if busy or on_chain > confirmed:
            return result("waiting", f"anchor of size {on_chain} waits for confirmations")
        if not self._due(size, on_chain, witnessed.cosignatures):
            return result("idle", f"nothing due: tree size {size}, anchored {on_chain}")
        call = self.contract.functions.anchor(origin, size, witnessed.checkpoint.root, witnessed.cosignatures)
        sent = self.chain.send(call, f"anchoring tree size {size}")
        self.last_sent = self.clock()
        return result("anchored", f"sent anchor of size {size} in 0x{sent.tx_hash.hex()}")

    def _due(self, size: int, anchored: int, cosignatures: int) -> bool:
        if size <= anchored or cosignatures < self.config.min_cosignatures:
            return False
        if self.clock() - self.last_sent < self.config.interval:
            return False
        # The bridge's own record of the last anchor grows the log by one entry; anchoring that
        # alone would make every anchor the cause of the next.
        return size > anchored + 1 or self.ledger.entry_type(anchored) != TxType.RECORD_ANCHOR

    def _events(self, origin_hash: bytes, start: int, stop: int) -> list[Any]:
        event = self.contract.events.CheckpointAnchored
        found: list[Any] = []
        for lo in range(start, stop + 1, LOG_PAGE):
            hi = min(stop, lo + LOG_PAGE - 1)
            found += event.get_logs(from_block=lo, to_block=hi, argument_filters={"originHash": origin_hash})
        return found

    def _record(self, origin: str, recorded: int, start: int, stop: int) -> int:
        """Record each confirmed anchor above ``recorded`` found in blocks ``start..stop``, in order."""
        origin_hash = self.chain.w3.keccak(text=origin)
        count = 0
        for event in self._events(origin_hash, start, stop):
            args = event["args"]
            if args["size"] <= recorded:
                continue
            tx = self.ledger.client.tx.record_anchor(
                chain_id=self.config.chain_id,
                contract=self.config.anchor_contract.lower(),
                size=args["size"],
                root=bytes(args["root"]),
                cosignatures=args["cosignatures"],
                tx_hash=bytes(event["transactionHash"]),
                block=event["blockNumber"],
            )
            self.ledger.client.submit_tx(tx)
            recorded = args["size"]
            count += 1
        return count
