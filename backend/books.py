"""Double-entry books in integer minor units.

Every movement is one posting that debits one account and credits another by
the same amount, so the balances always sum to zero.  Only ``external`` (the
platform's bank, through which money enters and leaves) may go negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXTERNAL = "external"


def settlement(account: str) -> str:
    """The settlement account of a party."""
    return f"settlement:{account}"


def escrow(lease: str) -> str:
    """The escrow account holding a lease's deposit."""
    return f"escrow:{lease}"


@dataclass(frozen=True)
class Posting:
    """One journal line: ``amount`` moves from ``debit`` to ``credit``."""

    index: int
    debit: str
    credit: str
    amount: int
    memo: str


@dataclass
class Books:
    """Balances and the journal that produced them."""

    balances: dict[str, int] = field(default_factory=dict)
    journal: list[Posting] = field(default_factory=list)

    def balance(self, account: str) -> int:
        """Current balance of ``account`` (0 if it never moved)."""
        return self.balances.get(account, 0)

    def can_pay(self, account: str, amount: int) -> bool:
        """Whether ``account`` holds at least ``amount``."""
        return account == EXTERNAL or self.balance(account) >= amount

    def post(self, index: int, debit: str, credit: str, amount: int, memo: str) -> None:
        """Record a posting; callers check :meth:`can_pay` first."""
        if amount < 0:
            raise ValueError(f"posting amount {amount} is negative")
        if not self.can_pay(debit, amount):
            raise ValueError(f"{debit} holds {self.balance(debit)}, cannot pay {amount}")
        if amount == 0:
            return
        self.balances[debit] = self.balance(debit) - amount
        self.balances[credit] = self.balance(credit) + amount
        self.journal.append(Posting(index, debit, credit, amount, memo))
