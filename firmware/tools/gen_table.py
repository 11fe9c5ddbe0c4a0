"""Generate the packed Ed25519 base-point table the firmware signs with.

Row ``i`` (0..31), column ``j`` (0..7) holds the point ``(j + 1) * 256**i * B``
as three 32-byte little-endian numbers: ``y + x``, ``y - x`` and ``2 * d * x * y``
(all mod p), the operands of a mixed addition.  That is 32 * 8 * 96 = 24576
bytes.  The arithmetic here is deliberately plain affine Edwards addition,
independent of the firmware's own point code, so that a bug in one cannot hide
in the other.

    python -m firmware.tools.gen_table            # rewrite the shipped table
    python -m firmware.tools.gen_table --check    # exit 1 if the shipped table differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
BASE_Y = 4 * pow(5, -1, P) % P
ROWS = 32
COLS = 8
ENTRY_SIZE = 96
TABLE_SIZE = ROWS * COLS * ENTRY_SIZE
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "leasechain" / "ed25519_table.bin"

Point = tuple[int, int]


def _base_x() -> int:
    """The even square root x of (y^2 - 1) / (d y^2 + 1) for the base point's y (RFC 8032)."""
    y = BASE_Y
    xx = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    x = pow(xx, (P + 3) // 8, P)
    if (x * x - xx) % P:
        x = x * pow(2, (P - 1) // 4, P) % P
    if x % 2:
        x = P - x
    assert (x * x - xx) % P == 0
    return x


BASE: Point = (_base_x(), BASE_Y)


def add(p1: Point, p2: Point) -> Point:
    """Affine twisted Edwards addition on -x^2 + y^2 = 1 + d x^2 y^2."""
    x1, y1 = p1
    x2, y2 = p2
    k = D * x1 * x2 * y1 * y2 % P
    x3 = (x1 * y2 + y1 * x2) * pow(1 + k, -1, P) % P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - k, -1, P) % P
    return x3, y3


def entry(point: Point) -> bytes:
    """The 96 packed bytes of one table point."""
    x, y = point
    return b"".join(v.to_bytes(32, "little") for v in ((y + x) % P, (y - x) % P, 2 * D * x * y % P))


def build_table() -> bytes:
    """The whole table, row by row."""
    out = bytearray()
    row_base = BASE
    for _ in range(ROWS):
        multiple = row_base
        for col in range(COLS):
            out += entry(multiple)
            if col + 1 < COLS:
                multiple = add(multiple, row_base)
        # 256 * row_base: eight doublings.
        for _ in range(8):
            row_base = add(row_base, row_base)
    assert len(out) == TABLE_SIZE
    return bytes(out)


def main(argv: list[str] | None = None) -> int:
    """Write or check the table file; return the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_PATH, help="table file (default: the shipped one)"
    )
    args = parser.parse_args(argv)
    table = build_table()
    if args.check:
        current = args.output.read_bytes() if args.output.exists() else b""
        if current != table:
            print(f"{args.output} is out of date; run python -m firmware.tools.gen_table", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date ({len(table)} bytes)")
        return 0
    args.output.write_bytes(table)
    print(f"wrote {args.output} ({len(table)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
