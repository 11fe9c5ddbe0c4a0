"""Benchmark of the marketplace's shared rules, in process; prints JSON.

* the credit book's work per verified reading (``CreditBook.reading``), beside what the ledger
  already spends judging that reading (``chain_client.ledger.verdict.judge``: decode and signature check);
* one credit score of a lessee with a long history (N invoices over several leases), beside one
  pass that only sums those invoices' amounts (the least any formula over them costs);
* the ranking of M listings for a request (``rank``), beside sorting M tuples.

Run: ``python -m bench.market [--invoices 3660] [--listings 1000]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from chain_client.credit.book import HOUR, CreditBook
from chain_client.credit.facts import InvoiceFact, LeaseFact, Party
from chain_client.credit.score import score
from chain_client.ledger.verdict import Key, judge
from chain_client.market.match import Candidate, Need, rank
from tests.backend.world import reading, seeded_key

DAY = 86_400
T0 = 1_700_000_000


def best(run: Callable[[], object], rounds: int = 5) -> float:
    """Best wall time of ``rounds`` runs, seconds."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def readings_cost(count: int) -> dict[str, float]:
    device = seeded_key("bench-market-device")
    messages = [reading(device, seq=i, time=T0 + 30 * i, run_seconds=30 * i) for i in range(count)]
    keys = {judge(messages[0], {}).device: Key(bytes(device.verify_key), "active", 0)}
    judge_s = best(lambda: [judge(m, keys) for m in messages], 3)
    stamps = [T0 + 30 * i for i in range(count)]

    def fold() -> None:
        book = CreditBook()
        book.leases["l"] = LeaseFact("l", "tok", "a", T0, T0 + 400 * DAY, DAY, 1, 0, 0, 0, signed_at=T0)
        book.running["tok"] = "l"
        for s in stamps:
            book.reading("tok", s)

    fold_s = best(fold)
    return {"readings": count, "judge_us": 1e6 * judge_s / count, "credit_book_us": 1e6 * fold_s / count}


def score_cost(invoices: int) -> dict[str, float]:
    book = CreditBook(time=T0 + 4000 * DAY)
    party = book.parties.setdefault("a", Party(certified_at=T0))
    for lease in range(10):
        lid = f"lease-{lease}"
        book.leases[lid] = LeaseFact(lid, "tok", "a", T0, T0 + 3660 * DAY, DAY, 1, 0, 0, 5, signed_at=T0)
        book.leases[lid].covered = list(range(T0 // HOUR, T0 // HOUR + 2000))
        party.leases.append(lid)
    for i in range(invoices):
        iid = f"lease-{i % 10}.{i}"
        book.invoices[iid] = InvoiceFact(
            iid, f"lease-{i % 10}", "a", 100, T0 + i * DAY, T0 + i * DAY + (i % 7) * DAY
        )
        party.invoices.append(iid)
    score_s = best(lambda: score(book, "a"))
    sum_s = best(lambda: sum(book.invoices[i].amount for i in party.invoices))
    return {"invoices": invoices, "score_ms": 1e3 * score_s, "sum_only_ms": 1e3 * sum_s}


def rank_cost(listings: int) -> dict[str, float]:
    need = Need("cnc-mill", {"spindle": "12kW"}, "Leipzig", 30 * DAY, 40_000, 100)
    items = [
        Candidate(
            f"list-{i:06d}",
            "cnc-mill",
            {"spindle": "12kW"},
            "Halle" if i % 3 else "Leipzig",
            DAY,
            500 + i % 997,
            i % 50,
            1000 + i % 13,
            DAY,
            60 * DAY,
            i % 101,
        )
        for i in range(listings)
    ]
    rank_s = best(lambda: rank(need, items))
    keys = [(i % 997, -(i % 101), f"list-{i:06d}") for i in range(listings)]
    sort_s = best(lambda: sorted(keys))
    return {"listings": listings, "rank_ms": 1e3 * rank_s, "sort_only_ms": 1e3 * sort_s}


def main() -> None:
    """Run the three measurements and print them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--readings", type=int, default=5000)
    parser.add_argument("--invoices", type=int, default=3660)
    parser.add_argument("--listings", type=int, default=1000)
    a = parser.parse_args()
    out = {
        "reading": readings_cost(a.readings),
        "score": score_cost(a.invoices),
        "rank": rank_cost(a.listings),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
