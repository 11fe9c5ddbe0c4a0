"""Exactly-once as ranges: the same answers as a set of every (device, kind, boot, seq), in a few ranges."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from backend.seen import SeenReadings


@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(1, 3), st.integers(0, 60)), max_size=300))
def test_ranges_answer_as_a_set_would(items: list[tuple[str, int, int]]) -> None:
    seen, plain = SeenReadings(), set()
    for device, boot, seq in items:
        assert seen.add(device, "r", boot, seq) is ((device, boot, seq) not in plain)
        plain.add((device, boot, seq))
        assert (device, "r", boot, seq) in seen
    for flat in seen.ranges.values():
        assert flat == sorted(flat)
        assert all(flat[i] < flat[i + 1] for i in range(len(flat) - 1))  # disjoint, never touching
    assert SeenReadings.restore(seen.snapshot()) == seen


def test_a_device_counting_up_costs_one_range_per_boot() -> None:
    seen = SeenReadings()
    for boot in (1, 2):
        for seq in range(10_000, 0, -1) if boot == 1 else range(1, 10_001):
            assert seen.add("dev", "r", boot, seq)
    assert seen.ranges == {("dev", "r", 1): [1, 10_001], ("dev", "r", 2): [1, 10_001]}
    assert not seen.add("dev", "r", 2, 5_000)
