"""The evidence digest is SHA-256 of the canonical CBOR list, byte for byte (docs/ledger.md).

The ledger encodes the list without the general encoder's per-item work; these tests hold it to
``cbor.dumps`` at every integer and array head size boundary.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain_client import cbor
from chain_client.ledger.evidence import Increment, evidence_digest, period_evidence

EDGES = [0, 1, 23, 24, 255, 256, 65_535, 65_536, 2**32 - 1, 2**32, 2**64 - 1, -1, -24, -25, -256, -257]


def _reference(items: list[tuple[int, int, int]]) -> bytes:
    return hashlib.sha256(cbor.dumps(items)).digest()


@given(st.lists(st.tuples(*[st.sampled_from(EDGES) | st.integers(-(2**63), 2**64 - 1)] * 3), max_size=40))
def test_the_digest_is_that_of_the_canonical_cbor_list(items: list[tuple[int, int, int]]) -> None:
    assert evidence_digest(items) == _reference(items)
    assert evidence_digest(tuple(items)) == _reference(items)
    assert evidence_digest(iter(items)) == _reference(items)


@pytest.mark.parametrize("length", [0, 1, 23, 24, 255, 256, 65_535, 65_536])
def test_every_array_head_size_is_encoded_as_cbor_does(length: int) -> None:
    items = [(i // 1000, i % 1000, 60 + i % 7) for i in range(length)]
    assert evidence_digest(items) == _reference(items)


def test_the_evidence_keeps_only_increments_stamped_in_the_period_in_log_order() -> None:
    increments: list[Increment] = [
        (7, 2, 150, 30),  # (batch, position, stamp, seconds)
        (3, 0, 100, 60),
        (7, 1, 199, 10),
        (5, 4, 200, 99),  # stamped at the end: the next period's
        (2, 9, 99, 99),  # before the start
        (4, 3, 120, 0),  # added no usage
    ]
    evidence = period_evidence(increments, 100, 200)
    assert evidence.items == ((3, 0, 60), (7, 1, 10), (7, 2, 30))
    assert (evidence.usage_seconds, evidence.count) == (100, 3)
    assert evidence.digest == _reference([(3, 0, 60), (7, 1, 10), (7, 2, 30)])
