"""The bridge's loop: anchor, mirror, sleep; a node or ledger that is down is waited for, not fatal."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from nacl.signing import SigningKey

from bridge.anchoring import Anchorer, StepResult
from bridge.chain import NODE_ERRORS, Chain
from bridge.config import BridgeConfig
from bridge.ledger import LedgerView
from bridge.mirror import Mirror, MirrorResult
from chain_client.client import LedgerClient
from chain_client.errors import LeaseChainError

log = logging.getLogger("leasechain.bridge")


@dataclass
class Bridge:
    """Anchorer and mirror over one ledger and one chain."""

    config: BridgeConfig
    eth_key: bytes
    ledger_key: bytes
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.chain = Chain(self.config.rpc_url, self.eth_key, self.config.chain_id)
        self.client = LedgerClient(self.config.ledger_url, SigningKey(self.ledger_key), retries=0)
        self.ledger = LedgerView(self.client, self.config.witnesses, self.config.log_vkey)
        self.anchorer = Anchorer(self.config, self.chain, self.ledger)
        self.mirror = Mirror(self.config, self.chain, self.ledger) if self.config.token_contract else None
        self.chain_checked = False

    def step(self) -> tuple[StepResult, MirrorResult | None]:
        """One anchoring step and one mirroring step."""
        if not self.chain_checked:
            self.chain.check_chain_id()
            self.chain_checked = True
        anchored = self.anchorer.step()
        mirrored = self.mirror.step() if self.mirror is not None else None
        return anchored, mirrored

    def run(self, report: Callable[[StepResult, MirrorResult | None], None] | None = None) -> None:
        """Step every ``config.poll`` seconds until :attr:`stop` is set; outages are logged and waited out."""
        while not self.stop.is_set():
            try:
                anchored, mirrored = self.step()
            except (httpx.HTTPError, *NODE_ERRORS) as exc:
                log.warning("waiting for the ledger or the chain: %s", str(exc)[:300])
            except LeaseChainError as exc:
                log.warning("step failed, trying again: %s", str(exc)[:300])
            else:
                if report is not None:
                    report(anchored, mirrored)
            self.stop.wait(self.config.poll)

    def close(self) -> None:
        """Close the ledger client."""
        self.client.close()
