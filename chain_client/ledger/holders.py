"""Share holders of a token at a point in ledger time, shared by the ledger's state and the auditor.

A token's shares move by events ``(ledger time, account, change)``: the minting
gives the manufacturer every share, a purchase or a transfer takes from one
account and gives to another at the entry's time.  The holders at time ``t``
are the accounts with a positive balance after every event at or before ``t``.
A time before the minting means the minting itself: a lease may start before
its machine was tokenized, and its rent still needs holders.
"""

from __future__ import annotations

from collections.abc import Iterable

ShareEvent = tuple[int, str, int]  # (ledger time, account, change in shares)


def holders_at(events: Iterable[ShareEvent], at: int, minted_at: int) -> dict[str, int]:
    """Shares each account held at ledger time ``max(at, minted_at)``, events at that time included.

    Accounts appear in the order of their first event; those holding nothing are left out.
    """
    until = max(at, minted_at)
    held: dict[str, int] = {}
    for when, account, delta in events:
        if when <= until:
            held[account] = held.get(account, 0) + delta
    return {account: count for account, count in held.items() if count > 0}
