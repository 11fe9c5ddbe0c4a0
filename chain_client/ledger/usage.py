"""Machine-hours from verified readings: the usage meter rule and the usage charge.

The rule (docs/ledger.md, 'Usage meter'), applied per device in log order
(batch after batch, message after message within a batch):

* a verified reading is *counted* only if its ``(boot, seq)`` is greater than
  that of the device's last counted reading; otherwise it is kept, proven and
  served, but adds nothing (a late or repeated delivery cannot add usage);
* the run-seconds counter is cumulative over the device's life and persisted
  across reboots, so a counted reading adds ``max(0, run_seconds - last)``
  whether or not the boot changed; a counter that went down (lost persistence)
  adds nothing and becomes the new baseline, so the lessee is never charged
  for time that was not measured;
* the first counted reading of a device is its baseline and adds nothing
  (a newly bound or rotated key starts from its own counter);
* a counted reading's usage is stamped with its device time when the device
  says its clock is synchronised, otherwise with the ledger time of the
  batch that anchored it; an invoice period ``[start, end)`` sums the usage
  stamped inside it.
"""

from __future__ import annotations

from dataclasses import dataclass

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Counter:
    """A device's position and run-seconds counter at one counted reading."""

    boot: int
    seq: int
    run_seconds: int


def is_after(last: Counter | None, boot: int, seq: int) -> bool:
    """Whether a reading at ``(boot, seq)`` comes after the last counted one."""
    return last is None or (boot, seq) > (last.boot, last.seq)


def increment(last: Counter | None, current: Counter) -> int:
    """Run-seconds a counted reading adds after ``last`` (see the module rule)."""
    if last is None:
        return 0
    return max(0, current.run_seconds - last.run_seconds)


def stamp(device_time: int, time_synced: bool, anchor_time: int) -> int:
    """Time a counted reading's usage belongs to."""
    return device_time if time_synced else anchor_time


def usage_charge(rate_per_hour: int, run_seconds: int) -> int:
    """Charge for ``run_seconds`` at ``rate_per_hour`` minor units, rounded half up to a minor unit."""
    return (2 * rate_per_hour * run_seconds + SECONDS_PER_HOUR) // (2 * SECONDS_PER_HOUR)
