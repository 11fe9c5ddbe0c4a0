"""The report's charts: round axis ticks that cover the data."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from simulator.charts import line_chart, nice_ticks


def test_ticks_are_round_values() -> None:
    assert nice_ticks(0, 13.98) == [0, 5, 10, 15]
    assert nice_ticks(0, 36.93) == [0, 10, 20, 30, 40]
    assert nice_ticks(0, 100) == [0, 25, 50, 75, 100]
    assert nice_ticks(0, 0.42) == [0, 0.2, 0.4, 0.6]


@given(st.floats(-1e6, 1e6), st.floats(0, 1e6))
def test_ticks_cover_the_range_evenly(lo: float, span: float) -> None:
    ticks = nice_ticks(lo, lo + span)
    assert ticks[0] <= lo + 1e-9 * max(1, abs(lo))
    assert ticks[-1] >= lo + span - 1e-9 * max(1, abs(lo + span))
    assert 2 <= len(ticks) <= 9
    steps = [b - a for a, b in pairwise(ticks)]
    assert all(abs(s - steps[0]) <= 1e-5 * steps[0] for s in steps)


def test_line_chart_labels_its_axis_with_the_ticks() -> None:
    svg = line_chart("Current", "A", [("m1", [(0.0, 1.0), (3600.0, 13.98)])])
    for label in (">0<", ">5<", ">10<", ">15<"):
        assert label in svg
    assert "13.98" not in svg
