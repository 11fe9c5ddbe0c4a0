"""All audit paths in one walk equal RFC 9162's path of each leaf."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chain_client import merkle
from chain_client.audit.paths import audit_paths


@given(st.integers(min_value=1, max_value=70), st.data())
def test_paths_match_the_single_leaf_proofs(size: int, data: st.DataObject) -> None:
    hashes = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(size)]
    wanted = data.draw(st.sets(st.integers(min_value=0, max_value=size - 1)))
    paths = audit_paths(hashes, wanted)
    assert set(paths) == wanted
    for i in wanted:
        assert paths[i] == merkle.inclusion_proof(hashes, i)
