"""A small world of parties acting on a ledger, for the backend tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from nacl.signing import SigningKey

from backend.domain.rent import period_bounds
from backend.ledger import Ledger, Submission, WithMessages
from chain_client import merkle, message
from chain_client.device import device_id
from chain_client.ledger import TransactionError, TxReason, sign
from chain_client.ledger.evidence import period_evidence
from chain_client.payload import Reading

T0 = 1_700_000_000
DAY = 86_400


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return float(self.now)

    def advance(self, seconds: int) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Party:
    """A key and its account id."""

    key: SigningKey

    @property
    def account(self) -> str:
        return bytes(self.key.verify_key).hex()


def seeded_key(label: str) -> SigningKey:
    """A deterministic key for ``label``."""
    import hashlib

    return SigningKey(hashlib.sha256(label.encode()).digest())


class World:
    """Parties, helpers to act, and the ledger they act on."""

    def __init__(self, ledger: Ledger, clock: Clock) -> None:
        assert ledger.key is not None
        self.ledger = ledger
        self.clock = clock
        self.operator = Party(ledger.key)
        self.log_key = bytes(ledger.key.verify_key)
        self._ids = 0

    def next_id(self) -> str:
        self._ids += 1
        return f"t{self._ids}"

    def tx(self, party: Party, tx_type: str, /, tx_id: str | None = None, **args: Any) -> bytes:
        if tx_type == "issue_invoice" and "evidence" not in args:
            args = {**args, **self.evidence(args["lease"], args["period"])}
        return sign(tx_type, tx_id or self.next_id(), args, party.key, ledger=self.log_key)

    def evidence(self, lease: str, period: int) -> dict[str, Any]:
        """The ``usage_seconds`` and ``evidence`` an invoice of ``period`` must name, as the meter says now.

        Whether the period exists or has ended is left for the ledger to judge.
        """
        found = self.ledger.state.leases.get(lease)
        try:
            start, end = period_bounds(found, period) if found is not None else (0, 0)
        except TransactionError:
            start = end = 0
        token = found.token if found else ""
        ev = period_evidence(self.ledger.readings.increments(token, start, end, self.ledger.size), start, end)
        return {"usage_seconds": ev.usage_seconds, "evidence": ev.digest}

    def submission(self, party: Party, tx_type: str, /, tx_id: str | None = None, **args: Any) -> Submission:
        """Signed bytes to submit; an ``anchor_batch``'s ``messages`` go beside the transaction."""
        messages = args.pop("messages", None) if tx_type == "anchor_batch" else None
        raw = self.tx(party, tx_type, tx_id, **args)
        return raw if messages is None else WithMessages(raw, messages)

    def do(self, party: Party, tx_type: str, /, tx_id: str | None = None, **args: Any) -> dict[str, Any]:
        """Submit and return the handler's result."""
        return self.ledger.submit(self.submission(party, tx_type, tx_id, **args))["result"]  # type: ignore[no-any-return]

    def refused(self, why: TxReason, party: Party, tx_type: str, /, **args: Any) -> TransactionError:
        """Submit and check it is refused for ``reason`` without a new entry."""
        size = self.ledger.size
        digest = self.ledger.digest()
        with pytest.raises(TransactionError) as info:
            self.ledger.submit(self.submission(party, tx_type, **args))
        assert info.value.reason is why, info.value
        assert self.ledger.size == size
        assert self.ledger.digest() == digest
        return info.value

    def party(self, label: str) -> Party:
        return Party(seeded_key(label))

    def enterprise(self, label: str, *roles: str, approve: bool = True) -> Party:
        """Register (and by default certify) an enterprise with ``roles``."""
        p = self.party(label)
        self.do(p, "register_enterprise", name=label, roles=list(roles), info={"country": "DE"})
        if approve:
            self.do(self.operator, "review_enterprise", enterprise=p.account, decision="approve", reason="")
        return p

    def fund(self, p: Party, amount: int) -> None:
        self.do(self.operator, "deposit", account=p.account, amount=amount, reference="bank-1")

    def balance(self, p: Party | str) -> int:
        account = p.account if isinstance(p, Party) else p
        return self.ledger.state.books.balance(f"settlement:{account}")

    def mint(
        self,
        maker: Party,
        serial: str,
        *,
        shares: int = 100,
        share_price: int = 10,
        fee_terms: Iterable[tuple[Party, int]] = (),
    ) -> str:
        result = self.do(
            maker,
            "mint_token",
            serial=serial,
            model="CNC-5",
            specs={"spindle": "12kW"},
            price=100_000,
            salvage_value=10_000,
            shares=shares,
            share_price=share_price,
            fee_terms=[{"account": p.account, "bps": bps} for p, bps in fee_terms],
        )
        return str(result["token"])

    def lease_terms(self, token: str, lessee: Party, **over: Any) -> dict[str, Any]:
        now = self.clock.now
        terms: dict[str, Any] = {
            "token": token,
            "lessee": lessee.account,
            "start": now,
            "end": now + 3 * DAY,
            "period": DAY,
            "fixed_rent": 1000,
            "usage_rate": 360,
            "deposit": 500,
            "grace": 3600,
            "fees": [],
        }
        terms.update(over)
        terms.setdefault("expires", terms["end"])
        return terms


def reading(
    key: SigningKey,
    *,
    seq: int,
    boot: int = 1,
    time: int = T0,
    synced: bool = True,
    run_seconds: int = 0,
    running: int = 1,
) -> bytes:
    """A genuine signed reading of the device ``key``."""
    body = Reading(
        device_id=device_id(bytes(key.verify_key)),
        boot=boot,
        seq=seq,
        time=time,
        time_synced=synced,
        readings={1: 2150, 6: running},
        run_seconds=run_seconds,
        cycles=seq,
    )
    return message.sign(body, key)


def batch_args(messages: Iterable[bytes]) -> dict[str, Any]:
    """``anchor_batch`` arguments over ``messages``."""
    items = list(messages)
    return {"root": merkle.root(items), "count": len(items), "messages": items}
