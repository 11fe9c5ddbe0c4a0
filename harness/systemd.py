"""The project's systemd units as tests read them: their directives, and systemd-analyze's verdict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def directives(unit: Path) -> dict[str, list[str]]:
    """Every ``Key=value`` of ``unit``, each key with its values in order."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def analyze_verify(unit: Path, installed: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze verify`` of ``unit``, its ``installed`` program replaced by this interpreter.

    verify also checks that ExecStart= is executable, so it points at this checkout's Python.
    """
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace(installed, sys.executable))
    return subprocess.run(
        ["systemd-analyze", "verify", str(copy)],  # noqa: S607 - the system's systemd-analyze, as tests skip without it
        capture_output=True,
        text=True,
    )
