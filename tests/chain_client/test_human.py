"""The rules people read values by: money in its currency's decimals, ISO 8601 times, units."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain_client import human


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (118_000, "EUR", "1,180.00 EUR"),
        (5, "EUR", "0.05 EUR"),
        (-250, "USD", "-2.50 USD"),
        (1180, "JPY", "1,180 JPY"),  # no minor unit
        (1180, "KWD", "1.180 KWD"),  # three decimals
        (1180, "XYZ", "11.80 XYZ"),  # unknown code: two decimals
        (1180, "", "11.80"),
    ],
)
def test_money_has_the_currencys_decimals(amount: int, currency: str, shown: str) -> None:
    assert human.money(amount, currency) == shown


@given(st.integers(-(10**20), 10**20), st.sampled_from(["EUR", "JPY", "KWD", "CLF"]))
def test_money_is_exact(amount: int, currency: str) -> None:
    text = human.money(amount, currency).split()[0].replace(",", "").replace(".", "")
    assert int(text) == amount


@given(st.integers(-(10**20), 10**20), st.sampled_from(["EUR", "JPY", "KWD", "CLF"]))
def test_decimal_for_files_is_money_without_grouping_or_code(amount: int, currency: str) -> None:
    text = human.decimal(amount, currency)
    assert text == human.money(amount, currency).split()[0].replace(",", "")
    assert Decimal(text) * 10 ** human.minor_units(currency) == amount


def test_times_are_iso_8601_utc_and_zero_is_never() -> None:
    assert human.when(1_714_564_800) == "2024-05-01T12:00:00Z"
    assert human.when(0) == "-"


def test_durations_and_rates() -> None:
    assert human.duration(2_592_000) == "30 d"
    assert human.duration(5400) == "1 h 30 min"
    assert human.duration(5) == "5 s"
    assert human.machine_hours(1800) == "0.50 machine-hours"
    assert human.percent_bps(250) == "2.50 %"


def test_readings_are_physical_values_with_units() -> None:
    assert (
        human.readings({"1": 2150, "4": 12_300, "6": 1})
        == "temperature 21.50 °C, current 12.300 A, running yes"
    )
    assert human.readings({3: 101_325, 2: 4512}) == "humidity 45.12 %RH, pressure 101325 Pa"
    assert human.readings({"40": 7}) == "sensor 40 7 (unknown unit)"
    assert human.readings({}) == "-"
    assert human.channel_label(1) == "temperature (°C)"


def test_parties_are_named_beside_a_short_account() -> None:
    known = {"a" * 64: human.Party("Acme"), "b" * 64: human.Party("Shady", "pending")}
    assert human.party("a" * 64, known) == "Acme (aaaaaaaa…)"
    assert human.party("b" * 64, known) == "Shady [pending] (bbbbbbbb…)"
    assert human.party("c" * 64, known) == "cccccccc…"
    assert human.party("", known) == "-"
