"""Scenario files: the shipped ones load; every mistake names its key and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator import scenario
from simulator.errors import ScenarioError

SHIPPED = sorted((Path(__file__).parents[2] / "configs" / "scenarios").glob("*.toml"))


def test_the_shipped_scenarios_load() -> None:
    names = {scenario.load(path).name for path in SHIPPED}
    assert {"baseline", "outage", "hostile"} <= names


def test_mistakes_are_listed_with_key_and_value(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        """
[run]
devices = "many"
rates = 2

[[machines]]
name = "cnc"
duty_cycle = 1.5

[[machines]]
name = "press"
running_current_ma = [9000, 100]

[faults]
forged_signatures = -0.1
"""
    )
    with pytest.raises(ScenarioError) as caught:
        scenario.load(path)
    text = str(caught.value)
    assert "run.devices = 'many' (str)" in text
    assert "run.rates = 2 (int): unknown key" in text
    assert "machines.0.duty_cycle = 1.5" in text
    assert "machines.1: running_current_ma = [9000, 100]: the low end is above the high end" in text
    assert "faults.forged_signatures = -0.1" in text


def test_a_history_longer_than_the_gateway_accepts_is_refused() -> None:
    with pytest.raises(ScenarioError, match="604800"):
        scenario.parse({"run": {"duration_seconds": 700, "acceleration": 1000}})


def test_bad_shift_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"shift \[20.0, 8.0\]"):
        scenario.parse({"machines": [{"name": "x", "shifts": [[20, 8]]}]})
    (tmp_path / "x.toml").write_text("[run\n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        scenario.load(tmp_path / "x.toml")
    with pytest.raises(ScenarioError, match="cannot read"):
        scenario.load(tmp_path / "missing.toml")


def test_command_line_overrides_are_validated_too() -> None:
    base = scenario.parse({})
    assert base.with_overrides(devices=5, rate=2.0, duration=3.0).run.devices == 5
    with pytest.raises(ScenarioError, match=r"run\.devices = 0"):
        base.with_overrides(devices=0)
