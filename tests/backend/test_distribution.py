"""Exact distribution: fees first, holders by largest remainder; properties over random inputs."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain_client.ledger.distribution import distribute, largest_remainder
from chain_client.ledger.usage import usage_charge

accounts = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
holdings = st.dictionaries(accounts, st.integers(min_value=1, max_value=10**9), min_size=1, max_size=40)
fee_lists = st.lists(
    st.tuples(accounts, st.integers(min_value=1, max_value=2500)), max_size=4, unique_by=lambda f: f[0]
)
payments = st.integers(min_value=0, max_value=10**15)


@settings(max_examples=300, deadline=None)
@given(payment=payments, fees=fee_lists, held=holdings, seed=st.integers(0, 2**32))
def test_payouts_sum_to_the_payment_are_non_negative_and_order_free(
    payment: int, fees: list[tuple[str, int]], held: dict[str, int], seed: int
) -> None:
    result = distribute(payment, fees, held)
    assert result.total == payment
    assert all(a >= 0 for _, a in result.fees + result.holders)
    shuffled = list(held.items())
    random.Random(seed).shuffle(shuffled)
    assert distribute(payment, fees, dict(shuffled)) == result
    pool = payment - sum(a for _, a in result.fees)
    total = sum(held.values())
    for account, amount in result.holders:
        exact = pool * held[account] / total
        assert abs(amount - exact) < 1 + 1e-6 * exact


def test_fees_round_down_and_the_pool_takes_the_rest() -> None:
    result = distribute(999, [("f" * 64, 333)], {"a" * 64: 1})
    assert result.fees == (("f" * 64, 33),)  # 999 * 333 / 10000 = 33.27
    assert result.holders == (("a" * 64, 966),)


def test_ties_go_to_the_smaller_account_id() -> None:
    shares = largest_remainder(2, {"c": 1, "a": 1, "b": 1})
    assert shares == {"a": 1, "b": 1, "c": 0}


def test_largest_remainders_get_the_leftover_units() -> None:
    # 10 over 3:3:1 -> 30/7, 30/7, 10/7: floors 4, 4, 1 with remainders 2/7, 2/7, 3/7; z takes the unit
    assert largest_remainder(10, {"x": 3, "y": 3, "z": 1}) == {"x": 4, "y": 4, "z": 2}


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        largest_remainder(-1, {"a": 1})
    with pytest.raises(ValueError, match="zero total weight"):
        largest_remainder(5, {})
    with pytest.raises(ValueError, match="more than 10000"):
        distribute(5, [("a", 6000), ("b", 5000)], {"c": 1})


def test_usage_charge_rounds_half_up() -> None:
    assert usage_charge(360, 3600) == 360
    assert usage_charge(1, 1800) == 1  # 0.5 -> 1
    assert usage_charge(1, 1799) == 0
    assert usage_charge(0, 10**6) == 0
