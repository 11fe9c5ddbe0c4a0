"""Importing the bridge (and with it web3.py) leaves the interpreter's recursion limit as it was."""

from __future__ import annotations

import subprocess
import sys


def test_web3_through_the_bridge_keeps_the_recursion_limit() -> None:
    code = (
        "import sys; before = sys.getrecursionlimit(); import bridge.chain, web3; "
        "print(before, sys.getrecursionlimit())"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    before, after = out.stdout.split()
    assert before == after
