"""The parties of the demo and what they do on the ledger, all through the SDK.

A manufacturer builds the machines, two investors fund them by buying
shares, a lessee leases every machine with rent that follows verified
machine-hours, a service company runs the site gateway (and takes a fee for
the data), an auditor checks.  The platform operator (the backend's genesis
key) certifies everyone and records the money entering the platform.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from nacl.signing import SigningKey

from chain_client import human
from chain_client.client import LedgerClient

DEPOSIT_INVESTOR = 20_000_000  # minor units: 200,000.00
DEPOSIT_LESSEE = 50_000_000
LEASE_DEPOSIT = 50_000
FIXED_RENT = 40_000  # per period (one device day)
USAGE_RATE = 2_500  # per verified machine-hour
SERVICE_FEE_BPS = 200  # the gateway operator's cut of every rent payment
PLATFORM_FEE_BPS = 100


def _key(label: str) -> SigningKey:
    return SigningKey(hashlib.sha256(f"leasechain-demo {label}".encode()).digest())


@dataclass(frozen=True)
class Party:
    """An enterprise of the story."""

    name: str
    roles: tuple[str, ...]
    key: SigningKey

    @property
    def account(self) -> str:
        return bytes(self.key.verify_key).hex()


@dataclass
class Cast:
    """Everyone in the story."""

    operator: SigningKey
    maker: Party = field(default_factory=lambda: Party("Acme Machines", ("manufacturer",), _key("maker")))
    lessee: Party = field(default_factory=lambda: Party("Bolt Fabrication", ("lessee",), _key("lessee")))
    north: Party = field(default_factory=lambda: Party("North Equipment Fund", ("investor",), _key("north")))
    ada: Party = field(default_factory=lambda: Party("Ada Invest", ("investor",), _key("ada")))
    service: Party = field(default_factory=lambda: Party("SiteLink Gateways", ("service",), _key("service")))
    auditor: Party = field(default_factory=lambda: Party("Clearview Audit", ("auditor",), _key("auditor")))
    inspector: Party = field(
        default_factory=lambda: Party("Precise Inspection", ("service",), _key("inspector"))
    )

    @property
    def parties(self) -> list[Party]:
        return [self.maker, self.lessee, self.north, self.ada, self.service, self.auditor, self.inspector]

    @property
    def operator_account(self) -> str:
        return bytes(self.operator.verify_key).hex()


def client(url: str, key: SigningKey, name: str) -> LedgerClient:
    """An SDK client acting as ``key``, its transaction ids prefixed with ``name``."""
    return LedgerClient(url, key, id_prefix=name)


def certify_all(url: str, cast: Cast, log: Callable[[str], None]) -> None:
    """Register every enterprise and have the operator certify it."""
    with client(url, cast.operator, "op") as op:
        for party in cast.parties:
            with client(url, party.key, "reg") as c:
                c.register_enterprise(party.name, list(party.roles), {"country": "DE"})
            op.approve_enterprise(party.account, "documents checked")
            log(f"certified {party.name} as {', '.join(party.roles)}")
        for party, amount in ((cast.north, DEPOSIT_INVESTOR), (cast.ada, DEPOSIT_INVESTOR)):
            op.deposit(party.account, amount, f"wire {party.name}")
        op.deposit(cast.lessee.account, DEPOSIT_LESSEE, "wire Bolt Fabrication")


@dataclass
class Deal:
    """One machine's token and lease."""

    token: str
    kind: str
    device: str
    lease: str = ""


def fee_terms(cast: Cast) -> tuple[tuple[str, int], ...]:
    """The fees the machines are minted with, and that their leases take: gateway operator, platform."""
    return ((cast.service.account, SERVICE_FEE_BPS), (cast.operator_account, PLATFORM_FEE_BPS))


def sell_and_lease(
    url: str, cast: Cast, deals: list[Deal], start: int, period: int, periods: int, log: Callable[[str], None]
) -> None:
    """Investors buy shares of every machine; the lessee leases each one for ``periods`` periods."""
    with client(url, cast.north.key, "n") as north, client(url, cast.ada.key, "a") as ada:
        for i, deal in enumerate(deals):
            north.buy_shares(deal.token, 30 + 5 * (i % 3))
            ada.buy_shares(deal.token, 20 + 10 * (i % 2))
    log(f"investors bought shares of {len(deals)} machines")
    fees = list(fee_terms(cast))
    with client(url, cast.maker.key, "m") as maker, client(url, cast.lessee.key, "l") as lessee:
        for deal in deals:
            if deal.lease:  # already leased through the marketplace
                continue
            deal.lease = maker.offer_lease(
                deal.token,
                cast.lessee.account,
                start=start,
                end=start + period * periods,
                period=period,
                fixed_rent=FIXED_RENT,
                usage_rate=USAGE_RATE,
                deposit=LEASE_DEPOSIT,
                grace=3 * 86400,
                fees=fees,
            ).lease
            lessee.sign_lease(deal.lease)
    log(f"{cast.lessee.name} signed {len(deals)} leases ({periods} periods of {period // 3600} h each)")


def invoice_and_pay(url: str, cast: Cast, deals: list[Deal], periods: int, log: Callable[[str], None]) -> int:
    """Invoice every period of every lease, pay it and close the lease; return the total rent paid."""
    total = 0
    with client(url, cast.maker.key, "inv") as maker, client(url, cast.lessee.key, "pay") as lessee:
        for deal in deals:
            for p in range(periods):
                invoice = maker.issue_invoice(deal.lease, p).invoice
                lessee.pay_invoice(invoice)
                total += maker.invoice(invoice).amount
            lessee.close_lease(deal.lease)  # every period paid: the deposit goes back to the lessee
        currency = maker.info().currency
    log(
        f"{len(deals) * periods} invoices issued and paid, {human.money(total, currency)} in rent distributed"
    )
    log(f"{len(deals)} leases closed, deposits returned to {cast.lessee.name}")
    return total
