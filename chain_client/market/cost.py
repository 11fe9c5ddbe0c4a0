"""What a listing costs a request in a month: the figure budgets are compared with (docs/market.md)."""

from __future__ import annotations

from chain_client.ledger.usage import SECONDS_PER_HOUR, usage_charge

MONTH = 30 * 86_400


def monthly_cost(period: int, fixed_rent: int, usage_rate: int, hours: int) -> int:
    """Fixed rent over 30 days (rounded down) plus the usage charge of ``hours`` machine-hours."""
    return fixed_rent * MONTH // period + usage_charge(usage_rate, hours * SECONDS_PER_HOUR)
