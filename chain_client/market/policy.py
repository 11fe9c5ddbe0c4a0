"""The stated deposit policy: better lessee credit lowers the deposit an owner may ask (docs/market.md)."""

from __future__ import annotations

from chain_client.credit.score import Score

# Share of a listing's deposit an offer may ask, in percent, by the lessee's band.
DEPOSIT_PERCENT = {"A": 50, "B": 70, "C": 85, "D": 100, "E": 100}


def deposit_percent(credit: Score) -> int:
    """Percent of the listed deposit an offer may ask of a lessee with ``credit``; thin files pay all."""
    return 100 if credit.thin_file else DEPOSIT_PERCENT[credit.band]


def deposit_cap(listed: int, credit: Score) -> int:
    """The most deposit an offer on a listing whose deposit is ``listed`` may ask (rounded down)."""
    return listed * deposit_percent(credit) // 100
