"""Simulated machines drive the firmware's sensor drivers: shifts, currents, run time, cycles."""

from __future__ import annotations

from simulator.machines import MachineModel, pick_profile
from simulator.scenario import Machine

DAY = 1_764_028_800  # 2025-11-25T00:00:00Z


def test_a_machine_runs_only_in_its_shifts_and_the_clamp_sees_it() -> None:
    profile = Machine(
        name="cnc",
        sensors=["clamp", "pulse", "ambient"],
        shifts=[(6.0, 14.0)],
        duty_cycle=1.0,
        running_current_ma=(9000, 9000),
        idle_current_ma=(100, 100),
        threshold_ma=2000,
        cycles_per_hour=3600,
    )
    model = MachineModel(profile, seed=1, index=0)
    assert not model.running(DAY + 3 * 3600)
    assert model.running(DAY + 8 * 3600)
    clamp, pulse, ambient = model.sensors
    model.advance(DAY + 8 * 3600)
    model.advance(DAY + 8 * 3600 + 60)
    reading = clamp.read()
    assert abs(reading[4] - 9000) <= 10  # RMS of the fake ADC's sine, through the firmware's integer maths
    assert reading[6] == 1
    assert clamp.usage() == (60, 0)
    assert pulse.usage() == (0, 60)
    values = ambient.read()
    assert set(values) == {1, 2}
    model.advance(DAY + 20 * 3600)
    assert clamp.read()[4] <= 110


def test_the_fleet_is_split_by_share_in_stable_blocks() -> None:
    kinds = [Machine(name="a", share=2), Machine(name="b", share=1)]
    names = [pick_profile(kinds, i, 9).name for i in range(9)]
    assert names == ["a"] * 6 + ["b"] * 3
