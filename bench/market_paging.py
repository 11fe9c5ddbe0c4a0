"""Benchmark of one page of a newest-first marketplace list (docs/ledger.md, "Paging"); prints JSON.

The page of ``limit`` requests after a cursor out of N (``backend.paging.newest_first``: one pass,
a heap of ``limit``), beside sorting the N (time, id) keys of the same records, the least a page
chosen by sorting would cost.

Run: ``python -m bench.market_paging [--records 100000] [--limit 100]``.
"""

from __future__ import annotations

import argparse
import json

from backend.marketplace import Request
from backend.paging import newest_first
from bench.market import T0, best


def _key(found: Request) -> tuple[int, str]:
    return found.posted_at, found.id


def page_cost(records: int, limit: int) -> dict[str, float]:
    """Milliseconds of the first page, a page in the middle, and a full sort of the keys."""
    items = [
        Request(f"req-{i * 2_654_435_761 % 2**32:08x}", "l", "cnc-mill", {}, "Leipzig", T0, 86_400, 1, 1,
                T0 + i // 3, T0 + 86_400)
        for i in range(records)
    ]  # fmt: skip
    middle = _key(sorted(items, key=_key, reverse=True)[records // 2])
    first_s = best(lambda: newest_first(items, _key, None, limit))
    middle_s = best(lambda: newest_first(items, _key, middle, limit))
    sort_s = best(lambda: sorted(map(_key, items), reverse=True)[:limit])
    return {
        "records": records,
        "limit": limit,
        "first_page_ms": 1e3 * first_s,
        "middle_page_ms": 1e3 * middle_s,
        "sort_keys_ms": 1e3 * sort_s,
    }


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(page_cost(args.records, args.limit), indent=2))


if __name__ == "__main__":
    main()
