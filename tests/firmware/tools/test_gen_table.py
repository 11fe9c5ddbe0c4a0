"""The shipped base-point table is exactly what firmware/tools/gen_table.py builds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nacl.bindings import crypto_scalarmult_ed25519_base_noclamp

from firmware.tools import gen_table
from harness.micropython import REPO

SHIPPED = REPO / "firmware" / "leasechain" / "ed25519_table.bin"
P = gen_table.P


def test_shipped_table_is_what_the_generator_builds() -> None:
    assert SHIPPED.read_bytes() == gen_table.build_table()


def test_check_mode_of_the_script(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "firmware.tools.gen_table", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    stale = tmp_path / "table.bin"
    data = bytearray(SHIPPED.read_bytes())
    data[1000] ^= 1
    stale.write_bytes(bytes(data))
    bad = subprocess.run(
        [sys.executable, "-m", "firmware.tools.gen_table", "--check", "--output", str(stale)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "out of date" in bad.stderr
    rebuilt = tmp_path / "fresh.bin"
    assert gen_table.main(["--output", str(rebuilt)]) == 0
    assert rebuilt.read_bytes() == SHIPPED.read_bytes()


def test_table_entries_are_the_multiples_libsodium_computes() -> None:
    table = SHIPPED.read_bytes()
    inv2 = pow(2, -1, P)
    for row in (0, 1, 7, 31):
        for col in range(gen_table.COLS):
            o = (row * gen_table.COLS + col) * gen_table.ENTRY_SIZE
            ypx, ymx, t2d = (int.from_bytes(table[o + 32 * i : o + 32 * i + 32], "little") for i in range(3))
            y = (ypx + ymx) * inv2 % P
            x = (ypx - ymx) * inv2 % P
            assert t2d == 2 * gen_table.D * x * y % P
            scalar = (col + 1) * 256**row
            expected = crypto_scalarmult_ed25519_base_noclamp(scalar.to_bytes(32, "little"))
            assert (y | (x & 1) << 255).to_bytes(32, "little") == expected, (row, col)
