"""Each machine's extra installs alone in a fresh environment, and its console scripts start.

A Raspberry Pi gateway must not pull the ledger's web server and database drivers, the
plotting library, the embedded broker or the board tools: the test installs the built wheel
with one extra into a new virtual environment (pip resolves its dependencies from the index,
through pip's cache) and runs ``--help`` of the scripts that extra is for.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SCRIPTS = {
    "gateway": ["leasechain-gateway"],
    "backend": ["leasechain-backend"],
    "cli": ["leasechain"],
    "device": ["leasechain-device"],
    "explorer": ["leasechain-explorer"],
    "sim": ["leasechain-sim"],
    "chain": ["leasechain-bridge"],
    "witness": ["leasechain-witness"],
}

# Distributions a machine's extra must leave out (the gateway's list is the issue's).
HEAVY = ["fastapi", "sqlalchemy", "psycopg", "matplotlib", "amqtt", "mpremote"]
ABSENT = {
    "gateway": HEAVY,
    "backend": ["matplotlib", "amqtt", "mpremote", "paho-mqtt"],
    "cli": ["fastapi", "sqlalchemy", "psycopg", "amqtt", "mpremote"],
    "device": ["fastapi", "sqlalchemy", "psycopg", "matplotlib", "amqtt"],
    "explorer": ["sqlalchemy", "psycopg", "matplotlib", "amqtt", "mpremote"],
    "sim": ["mpremote"],
    "chain": HEAVY,
    "witness": ["sqlalchemy", "psycopg", "matplotlib", "amqtt", "mpremote", "paho-mqtt"],
}


def _installed(venv: Path) -> set[str]:
    listing = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {line.split("==")[0].lower() for line in listing.splitlines() if "==" in line}


@pytest.mark.slow
@pytest.mark.parametrize("extra", list(SCRIPTS))
def test_an_extra_installs_alone_and_its_scripts_start(wheel: Path, tmp_path: Path, extra: str) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    install = subprocess.run(
        [*pip, "install", "--quiet", f"leasechain[{extra}] @ {wheel.as_uri()}"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    installed = _installed(venv)
    assert "leasechain" in installed
    assert sorted(set(ABSENT[extra]) & installed) == []
    for script in SCRIPTS[extra]:
        shown = subprocess.run(
            [str(venv / "bin" / script), "--help"], capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        assert shown.returncode == 0, f"{script} --help with only [{extra}]:\n{shown.stderr[-3000:]}"
        assert "usage:" in shown.stdout
