"""How people read the ledger's values: times, money, accounts, durations and sensor readings.

The ledger and its JSON keep raw values (Unix seconds, integer minor units, 64-hex accounts, wire
integers); every command line and the demo report print them through these rules, so a value
reads the same everywhere:

- a time is ISO 8601 in UTC to the second, ``2024-05-01T12:00:00Z``; 0 means "never" (``-``);
- money is the amount in major units with the currency's decimals and its code,
  ``1,180.00 EUR``: the decimals are ISO 4217's minor units for the codes that do not have two
  (``JPY`` 0, ``KWD`` 3, …), two for every other code, so ``1180`` minor units of an unknown
  ``XYZ`` read ``11.80 XYZ``; the conversion is exact integer arithmetic, never a float;
- an account is the enterprise's name beside a short form of the account
  (``Acme Machines (9cc3a1b2…)``), or the short form alone when no name is known;
- a reading is the sensor's physical value in its unit (``21.50 °C``), by the sensor registry of
  ``chain_client.payload``; run time is in machine-hours.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chain_client.payload import SENSORS, Sensor

# ISO 4217 minor units of the active codes whose exponent is not 2 (the default).
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        (
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
            "VND", "VUV", "XAF", "XOF", "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip
DEFAULT_MINOR_UNITS = 2
SHORT_ACCOUNT = 8  # hex digits kept of an account beside a name
UNIT_SYMBOLS = {"degC": "°C"}  # the registry's ASCII unit names as people write them
SECONDS_PER_HOUR = 3600


def minor_units(currency: str) -> int:
    """Decimals of ``currency``: ISO 4217's minor units where they are not 2, else 2."""
    return MINOR_UNITS.get(currency.upper(), DEFAULT_MINOR_UNITS)


def money(amount: int, currency: str) -> str:
    """Integer minor units as ``1,180.00 EUR`` (exact: no float in between)."""
    places = minor_units(currency)
    whole, part = divmod(abs(amount), 10**places)
    sign = "-" if amount < 0 else ""
    text = f"{sign}{whole:,}" + (f".{part:0{places}d}" if places else "")
    return f"{text} {currency}" if currency else text


def decimal(amount: int, currency: str) -> str:
    """Integer minor units as a plain decimal string for files, ``1180`` EUR as ``11.80`` (no grouping)."""
    places = minor_units(currency)
    whole, part = divmod(abs(amount), 10**places)
    sign = "-" if amount < 0 else ""
    return f"{sign}{whole}" + (f".{part:0{places}d}" if places else "")


def when(seconds: float | None) -> str:
    """Unix seconds as ISO 8601 UTC, ``2024-05-01T12:00:00Z``; 0 or None (never, unset) as ``-``."""
    if not seconds:
        return "-"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def duration(seconds: int) -> str:
    """A span in the largest whole units: ``30 d``, ``1 h 30 min``, ``5 s``."""
    if seconds == 0:
        return "0 s"
    parts = []
    rest = abs(seconds)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count} {unit}")
    return ("-" if seconds < 0 else "") + " ".join(parts)


def machine_hours(run_seconds: int) -> str:
    """Run time as ``0.50 machine-hours``."""
    return f"{run_seconds / SECONDS_PER_HOUR:,.2f} machine-hours"


def percent_bps(bps: int) -> str:
    """Basis points as a percentage, ``250`` as ``2.50 %``."""
    whole, part = divmod(bps, 100)
    return f"{whole}.{part:02d} %"


def short_account(account: str) -> str:
    """The first hex digits of a 64-hex account and an ellipsis; anything else unchanged."""
    if len(account) == 64:
        return account[:SHORT_ACCOUNT] + "…"
    return account


def sensor(key: int | str) -> Sensor | None:
    """The registry entry of a readings key (the wire's integer, or its JSON string form)."""
    try:
        return SENSORS.get(int(key))
    except ValueError:
        return None


def unit(entry: Sensor) -> str:
    """The unit symbol of a sensor, as people write it."""
    return UNIT_SYMBOLS.get(entry.unit, entry.unit)


def _value(entry: Sensor, value: float) -> str:
    if entry.unit == "bool":
        return "yes" if value else "no"
    places = len(str(entry.scale)) - 1  # the registry's scales are powers of ten
    return f"{value:.{places}f} {unit(entry)}"


def reading(key: int | str, raw: int) -> str:
    """One wire value as its physical value and unit, ``21.50 °C``; an unknown sensor's value as is."""
    entry = sensor(key)
    if entry is None:
        return f"{raw} (unknown unit)"
    return _value(entry, raw / entry.scale)


def readings(values: Mapping[Any, int]) -> str:
    """Every reading as ``name value unit``, in registry order; ``-`` for none."""
    ordered = sorted(values.items(), key=lambda kv: int(kv[0]))
    shown = []
    for key, raw in ordered:
        entry = sensor(key)
        shown.append(f"{entry.name if entry else 'sensor ' + str(key)} {reading(key, raw)}")
    return ", ".join(shown) or "-"


def physical(values: Mapping[str, float]) -> str:
    """Readings already in physical units, keyed by sensor name (``Reading.physical()``), with units."""
    by_name = {entry.name: entry for entry in SENSORS.values()}
    order = sorted(values, key=lambda name: by_name[name].key if name in by_name else len(SENSORS) + 1)
    shown = [
        f"{n} {_value(by_name[n], values[n]) if n in by_name else format(values[n], 'g')}" for n in order
    ]
    return ", ".join(shown) or "-"


def channel_label(key: int | str) -> str:
    """An axis label for a sensor channel: ``temperature (°C)``."""
    entry = sensor(key)
    if entry is None:
        return f"sensor {key}"
    if entry.unit == "bool":
        return f"{entry.name} (0 = no, 1 = yes)"
    return f"{entry.name} ({unit(entry)})"


def channels() -> str:
    """The known channels, for a ``--help`` text: ``1 temperature (°C), 2 humidity (%RH), …``."""
    return ", ".join(f"{key} {channel_label(key)}" for key in sorted(SENSORS))


@dataclass(frozen=True)
class Party:
    """What a person knows an account by: an enterprise's name and its review status, or a label."""

    name: str
    status: str = "approved"


def party(account: str, known: Mapping[str, Party]) -> str:
    """``Acme Machines (9cc3a1b2…)``; a name not (yet) approved says so; unknown: the short form."""
    if not account:
        return "-"
    found = known.get(account)
    if found is None:
        return short_account(account)
    mark = "" if found.status == "approved" else f" [{found.status}]"
    return f"{found.name}{mark} ({short_account(account)})"
