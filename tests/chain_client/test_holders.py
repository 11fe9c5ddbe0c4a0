"""Share holders at a point in time: the one rule the ledger's state and the auditor use."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chain_client.ledger.holders import ShareEvent, holders_at

MINTED = 1000
EVENTS: list[ShareEvent] = [
    (MINTED, "maker", 100),
    (2000, "maker", -30),
    (2000, "alice", 30),
    (3000, "alice", -30),
    (3000, "bob", 30),
]


def test_events_at_the_time_count_and_later_ones_do_not() -> None:
    assert holders_at(EVENTS, 1999, MINTED) == {"maker": 100}
    assert holders_at(EVENTS, 2000, MINTED) == {"maker": 70, "alice": 30}
    assert holders_at(EVENTS, 2999, MINTED) == {"maker": 70, "alice": 30}


def test_an_account_that_sold_everything_is_no_holder() -> None:
    assert holders_at(EVENTS, 3000, MINTED) == {"maker": 70, "bob": 30}


def test_a_time_before_the_minting_means_the_minting() -> None:
    assert holders_at(EVENTS, 0, MINTED) == {"maker": 100}


@given(st.lists(st.tuples(st.integers(0, 50), st.sampled_from("abc"), st.integers(1, 20)), max_size=20))
def test_moves_keep_the_total_and_never_leave_a_holder_below_one(
    moves: list[tuple[int, str, int]],
) -> None:
    events: list[ShareEvent] = [(0, "maker", 1000)]
    held = {"maker": 1000}
    for step, buyer, count in moves:
        seller = max(held, key=lambda a: (held[a], a))
        count = min(count, held[seller])
        events += [(step, seller, -count), (step, buyer, count)]
        held[seller] -= count
        held[buyer] = held.get(buyer, 0) + count
    ordered = sorted(events, key=lambda e: e[0])
    result = holders_at(ordered, 50, 0)
    assert sum(result.values()) == 1000
    assert all(n > 0 for n in result.values())
