"""The shipped witness unit passes systemd-analyze verify and runs our CLI with a logs file."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.witness.harness import Log
from witness.cli import parser, read_logs
from witness.errors import WitnessError

UNIT = Path(__file__).parents[2] / "configs" / "leasechain-witness.service"


def _directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    text = UNIT.read_text().replace("/opt/leasechain/venv/bin/leasechain-witness", sys.executable)
    unit = tmp_path / UNIT.name
    unit.write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_unit_is_hardened_and_runs_serve_with_a_logs_file() -> None:
    d = _directives()
    assert d["Restart"] == ["always"]
    assert d["StateDirectory"] == ["leasechain-witness"]
    assert d["ProtectSystem"] == ["strict"]
    args = parser().parse_args(shlex.split(d["ExecStart"][0])[1:])
    assert (args.command, args.data_dir, args.logs) == (
        "serve",
        "/var/lib/leasechain-witness",
        "/etc/leasechain/witness-logs",
    )


def test_a_logs_file_lists_vkeys_and_names_a_bad_line(tmp_path: Path) -> None:
    one, two = Log(seed="one"), Log(seed="two", origin="other.example/log")
    logs = tmp_path / "logs"
    logs.write_text(f"# the logs this witness watches\n{one.vkey.vkey()}\n\n{two.vkey.vkey()}  # second\n")
    assert read_logs(str(logs)) == [one.vkey, two.vkey]
    logs.write_text(f"{one.vkey.vkey()}\nnot-a-vkey\n")
    with pytest.raises(WitnessError, match="line 2"):
        read_logs(str(logs))
