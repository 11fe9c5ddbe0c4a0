"""The state digest kept up to date record by record, so a read costs what changed, not the state.

The digest is unchanged in meaning: SHA-256 of the canonical CBOR of :meth:`State.snapshot`
(what a checkpoint commits to and a replay recomputes).  Canonical CBOR of a map is its head and
then each key and value encoded, in the bytewise order of the encoded keys; an array is its head
and its items.  So the encoding is put together from parts kept encoded here: one per record of
the record maps (re-encoded when :class:`backend.tracked.TrackedMap` says it was reached), one per
journal line (the journal only grows), one per (device, kind, boot) of ``seen``; the small
sections are encoded whole every time.  Hashing the joined parts is the only work that follows the
size of the state, at the speed of SHA-256.
"""

from __future__ import annotations

import hashlib
from typing import Any

from backend import seen
from backend.state import RECORDS, State, posting_row
from backend.tracked import TrackedMap
from chain_client import cbor

_ARRAY, _MAP = 4, 5


def _head(major: int, length: int) -> bytes:
    """The CBOR head of an array or map of ``length`` items (the shortest form, as canonical asks)."""
    if length < 24:
        return bytes([major << 5 | length])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | extra]) + length.to_bytes(size, "big")
    raise ValueError(f"a CBOR length of {length} does not fit 64 bits")


class _Parts:
    """Encoded items of one tracked map, by key."""

    def __init__(self) -> None:
        self.items: dict[Any, bytes] = {}

    def refresh(self, records: dict[Any, Any], encode: Any) -> None:  # noqa: ANN401 - a callable
        """Re-encode the reached records, drop the removed ones."""
        reached = records.take() if isinstance(records, TrackedMap) else None
        if reached is None:
            self.items = {k: encode(k, v) for k, v in dict.items(records)}
            return
        for key in reached:
            if key in records:
                self.items[key] = encode(key, dict.__getitem__(records, key))
            else:
                self.items.pop(key, None)


class StateDigest:
    """The digest of one :class:`State`, refreshed from the records reached since the last read."""

    def __init__(self) -> None:
        self._state: State | None = None
        self._records: dict[str, _Parts] = {}
        self._seen = _Parts()
        self._journal: list[bytes] = []

    def _reset(self, state: State) -> None:
        self._state = state
        self._records = {name: _Parts() for name in RECORDS}
        self._seen = _Parts()
        self._journal = []
        for records in [*(getattr(state, name) for name in RECORDS), state.seen.ranges]:
            if isinstance(records, TrackedMap):
                records.take()
                records.items()  # everything counts as reached for the first encoding

    def of(self, state: State) -> bytes:
        """SHA-256 of the canonical CBOR of ``state.snapshot()``."""
        if state is not self._state:
            self._reset(state)
        sections: dict[str, bytes] = {
            name: cbor.dumps(value) for name, value in state.small_sections().items()
        }
        for name, plain in RECORDS.items():
            parts = self._records[name]
            # An array of two is a 1-byte head and the two encodings: a map item in one call.
            parts.refresh(getattr(state, name), lambda k, v, f=plain: cbor.dumps((k, f(v)))[1:])
            ordered = sorted(parts.items.values())  # a key's encoding leads its item: bytewise key order
            sections[name] = _head(_MAP, len(ordered)) + b"".join(ordered)
        self._seen.refresh(state.seen.ranges, lambda k, v: cbor.dumps(seen.row(k, v)))
        rows = [self._seen.items[k] for k in sorted(self._seen.items)]
        sections["seen"] = _head(_ARRAY, len(rows)) + b"".join(rows)
        sections["journal"] = self._journal_part(state)
        keyed = sorted((cbor.dumps(name), part) for name, part in sections.items())
        digest = hashlib.sha256(_head(_MAP, len(keyed)))
        for key, part in keyed:
            digest.update(key)
            digest.update(part)
        return digest.digest()

    def _journal_part(self, state: State) -> bytes:
        journal = state.books.journal
        if len(journal) < len(self._journal):  # not a journal that grew: encode it again
            self._journal = []
        self._journal.extend(cbor.dumps(posting_row(p)) for p in journal[len(self._journal) :])
        return _head(_ARRAY, len(self._journal)) + b"".join(self._journal)
