"""What commands print: tables and key/value blocks for people, JSON for scripts, progress on a TTY."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from chain_client.plain import plain


def dumps(value: Any) -> str:  # noqa: ANN401 - any JSON-able value
    """Compact, stable JSON."""
    return json.dumps(plain(value), sort_keys=True)


def cell(value: Any) -> str:  # noqa: ANN401 - any printable value
    """One value as table text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "-"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value) or "-"
    return str(value)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], out: TextIO) -> None:
    """Rows as an aligned table with a header."""
    cells = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(), file=out)
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(), file=out)
    if not rows:
        print("(none)", file=out)


def block(data: Mapping[str, Any], out: TextIO, keys: Sequence[str] | None = None) -> None:
    """One record as ``key: value`` lines."""
    names = list(keys) if keys is not None else list(data)
    width = max((len(k) for k in names), default=0)
    for k in names:
        print(f"{k + ':':<{width + 1}} {cell(data.get(k))}", file=out)


class Progress:
    """``label done/total`` on stderr, in place, only when stdout is a terminal and not ``--json``."""

    def __init__(self, label: str, *, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled and sys.stdout.isatty()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        """Report progress (at most ten times a second, and always at the end)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        share = f" {100 * done // total}%" if total else ""
        sys.stderr.write(f"\r{self.label} {done}/{total}{share}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
