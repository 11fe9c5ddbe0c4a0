"""The shipped witness unit passes systemd-analyze verify and runs our CLI with a logs file."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from harness.systemd import analyze_verify, directives
from tests.witness.harness import Log
from witness.cli import parser, read_logs
from witness.errors import WitnessError

UNIT = Path(__file__).parents[2] / "configs" / "leasechain-witness.service"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    result = analyze_verify(UNIT, "/opt/leasechain/venv/bin/leasechain-witness", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_unit_is_hardened_and_runs_serve_with_a_logs_file() -> None:
    d = directives(UNIT)
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
