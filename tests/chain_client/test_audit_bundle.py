"""Whatever a bundle file holds, the verifier answers with a report, never a crash."""

from __future__ import annotations

import contextlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain_client.audit import AuditError, Bundle, load, verify_bundle
from chain_client.audit.bundle import MAX_BUNDLE_BYTES

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


HOSTILE: dict[str, str | bytes] = {
    "deeply nested": "[" * 200_000 + "]" * 200_000,
    "a 100,000-digit integer": '{"format": "leasechain-audit/1", "period": ' + "9" * 100_000 + "}",
    "not UTF-8": b'{"format": "\xff"}',
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_hostile_bundle_file_is_not_a_readable_bundle(tmp_path: Path, kind: str) -> None:
    content = HOSTILE[kind]
    path = tmp_path / "hostile.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(AuditError, match="is not a readable bundle"):
        load(path)


def test_a_bundle_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as f:
        f.truncate(MAX_BUNDLE_BYTES + 1)  # sparse: the test writes nothing, a reader would get 256 MiB
    with pytest.raises(AuditError, match=f"{MAX_BUNDLE_BYTES + 1} bytes, the limit is {MAX_BUNDLE_BYTES}"):
        load(path)
    assert load(STORY_BUNDLE).lease.startswith("lease-")


def test_a_pipe_that_never_ends_is_cut_off_at_the_limit(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)  # its size is 0 to stat: only the bounded read stops it

    def flood() -> None:
        with contextlib.suppress(BrokenPipeError), pipe.open("wb") as f:
            for _ in range(100):
                f.write(b"[" * 1000)

    writer = threading.Thread(target=flood)
    writer.start()
    with pytest.raises(AuditError, match="more than 1000 bytes"):
        load(pipe, limit=1000)
    writer.join(timeout=10)
