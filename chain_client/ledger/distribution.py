"""Exact distribution of a payment: fees first, then holders pro rata by largest remainder.

Amounts are integers in minor units.  The rules (docs/ledger.md, 'Rounding'):

1. each fee is ``floor(payment * bps / 10000)``: fees round down;
2. the rest, ``payment - sum(fees)``, is split among holders in proportion to
   their shares by the largest-remainder method: each holder first gets
   ``floor(pool * shares / total)``; the units left over (fewer than the
   number of holders) go one each to the holders with the largest remainders
   ``pool * shares mod total``, ties broken by account id in ascending order.

So the payouts always sum to the payment, none is negative, and the result
depends only on the set of holders, never on the order they are listed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chain_client.ledger.schema import BPS_TOTAL


@dataclass(frozen=True)
class Distribution:
    """Who gets what from one payment."""

    fees: tuple[tuple[str, int], ...]
    holders: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """Sum of every payout line."""
        return sum(a for _, a in self.fees) + sum(a for _, a in self.holders)


def largest_remainder(amount: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split ``amount`` among ``weights`` exactly, by largest remainder (ties: account id ascending)."""
    if amount < 0:
        raise ValueError(f"amount {amount} is negative")
    if any(w < 0 for w in weights.values()):
        raise ValueError(f"weights must be non-negative, got {min(weights.values())}")
    total = sum(weights.values())
    if total == 0:
        if amount:
            raise ValueError(f"cannot split {amount} among zero total weight")
        return {name: 0 for name in weights}
    shares: dict[str, int] = {}
    remainders: list[tuple[int, str]] = []
    for name in sorted(weights):
        quotient, remainder = divmod(amount * weights[name], total)
        shares[name] = quotient
        remainders.append((-remainder, name))
    left = amount - sum(shares.values())
    remainders.sort()
    for _, name in remainders[:left]:
        shares[name] += 1
    return shares


def distribute(payment: int, fees: Sequence[tuple[str, int]], holdings: Mapping[str, int]) -> Distribution:
    """Distribute ``payment``: fee splits in basis points first, then ``holdings`` pro rata."""
    if payment < 0:
        raise ValueError(f"payment {payment} is negative")
    if sum(bps for _, bps in fees) > BPS_TOTAL:
        raise ValueError(f"fee splits total {sum(bps for _, bps in fees)} bps, more than {BPS_TOTAL}")
    fee_lines = tuple((acc, payment * bps // BPS_TOTAL) for acc, bps in fees)
    pool = payment - sum(a for _, a in fee_lines)
    held = {acc: n for acc, n in holdings.items() if n > 0}
    split = largest_remainder(pool, held)
    return Distribution(fees=fee_lines, holders=tuple(sorted(split.items())))
