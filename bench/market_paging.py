"""Benchmark of one page of a newest-first marketplace list (docs/ledger.md, "Paging"); prints JSON.

``backend.paging.NewestIndex`` keeps the (time, id) keys of N requests sorted: its first use sorts
them all (``build_ms``), then a page of ``limit`` is a binary search and a slice (``first_page_ms``,
``middle_page_ms``) and a request added since the last page is sorted in (``follow_one_ms``).
Beside them, in the same run: sorting the N keys, what every page would cost without the index.

Run: ``python -m bench.market_paging [--records 100000] [--limit 100]``.
"""

from __future__ import annotations

import argparse
import json
import time

from backend.marketplace import Request
from backend.paging import NewestIndex
from bench.market import T0, best


def _key(found: Request) -> tuple[int, str]:
    return found.posted_at, found.id


def _request(i: int) -> Request:
    rid = f"req-{i * 2_654_435_761 % 2**32:08x}"
    return Request(rid, "l", "cnc-mill", {}, "Leipzig", T0, 86_400, 1, 1, T0 + i // 3, T0 + 86_400)


def page_cost(records: int, limit: int) -> dict[str, float]:
    """Milliseconds of building the index, a first page, a middle page, following one new record."""
    items = {r.id: r for r in map(_request, range(records))}
    index = NewestIndex(_key)
    started = time.perf_counter()
    index.page(items, None, limit)
    build_s = time.perf_counter() - started
    middle = _key(sorted(items.values(), key=_key, reverse=True)[records // 2])
    first_s = best(lambda: index.page(items, None, limit))
    middle_s = best(lambda: index.page(items, middle, limit))
    added = _request(records)
    items[added.id] = added
    started = time.perf_counter()
    index.page(items, None, limit)
    follow_s = time.perf_counter() - started
    sort_s = best(lambda: sorted(map(_key, items.values()), reverse=True)[:limit])
    return {
        "records": records,
        "limit": limit,
        "build_ms": 1e3 * build_s,
        "first_page_ms": 1e3 * first_s,
        "middle_page_ms": 1e3 * middle_s,
        "follow_one_ms": 1e3 * follow_s,
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
