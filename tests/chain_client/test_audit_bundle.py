"""Whatever a bundle file holds, the verifier answers with a report, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain_client.audit import AuditError, Bundle, load, verify_bundle

STORY_BUNDLE = (
    Path(__file__).parent.parent / "vectors" / "audit-bundle.json"
)  # exported by tests/cli/story.py


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=8),
    st.text(alphabet="0123456789abcdef", min_size=0, max_size=130),
    st.lists(st.text(alphabet="0123456789abcdef", max_size=66), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(), max_size=2),
)


@pytest.fixture(scope="module")
def genuine() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(STORY_BUNDLE.read_text())
    assert verify_bundle(Bundle.model_validate(data)).ok
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_a_mutated_bundle_gives_a_report_or_a_load_error(
    genuine: dict[str, Any], data: st.DataObject
) -> None:
    mutated = json.loads(json.dumps(genuine))
    spots = _paths(mutated)[1:]
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        spot = data.draw(st.sampled_from(spots))
        parent = mutated
        try:
            for step in spot[:-1]:
                parent = parent[step]
            parent[spot[-1]] = data.draw(JUNK)
        except (KeyError, IndexError, TypeError):
            continue
    try:
        bundle = Bundle.model_validate(mutated)
    except ValueError:
        return  # refused when loading, as AuditError says from the file
    report = verify_bundle(bundle)
    assert isinstance(report.ok, bool)


def test_a_bundle_file_with_bad_fields_is_refused_by_name(tmp_path: Path) -> None:
    data = json.loads(STORY_BUNDLE.read_text())
    data["entries"][0]["index"] = -1
    path = tmp_path / "b.json"
    path.write_text(json.dumps(data))
    with pytest.raises(AuditError, match="malformed"):
        load(path)
