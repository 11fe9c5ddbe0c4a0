"""A dict that remembers which keys were reached since it was last asked, for the state digest.

The state's records are mutable and every rule reaches a record through its map (``tokens[id]``,
``bindings.get(device)``), so a key reached is a record that may have changed.  Iterating
``items()`` or ``values()`` hands out every record: it counts as reaching them all.  The set is
taken and replaced in one step (:meth:`TrackedMap.take`), so a reader that reaches a key while the
digest is computed only adds it to the next round.  There is one taker per state: the ledger's
:class:`backend.digest.StateDigest`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _collections_abc import dict_items, dict_values

K = TypeVar("K")
V = TypeVar("V")


class TrackedMap(dict[K, V]):
    """A dict whose reached keys :meth:`take` returns (``None``: all of them)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - as dict's
        super().__init__(*args, **kwargs)
        self._reached: set[Any] | None = None  # None: every key (nothing known yet)

    def take(self) -> set[K] | None:
        """The keys reached since the last call (None: all), and start a new round."""
        reached, self._reached = self._reached, set()
        return reached

    def _reach(self, key: Any) -> None:  # noqa: ANN401 - any key
        reached = self._reached
        if reached is not None:
            reached.add(key)

    def __getitem__(self, key: K) -> V:
        self._reach(key)
        return super().__getitem__(key)

    def get(self, key: K, default: Any = None) -> Any:  # noqa: ANN401 - as dict's
        self._reach(key)
        return super().get(key, default)

    def __setitem__(self, key: K, value: V) -> None:
        self._reach(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: K) -> None:
        self._reach(key)
        super().__delitem__(key)

    def setdefault(self, key: K, default: Any = None) -> Any:  # noqa: ANN401 - as dict's
        self._reach(key)
        return super().setdefault(key, default)

    def pop(self, key: K, *default: Any) -> Any:  # noqa: ANN401 - as dict's
        self._reach(key)
        return super().pop(key, *default)

    def _all(self) -> None:
        self._reached = None

    def items(self) -> dict_items[K, V]:
        """The items; every value handed out counts as reached."""
        self._all()
        return super().items()

    def values(self) -> dict_values[K, V]:
        """The values; every one counts as reached."""
        self._all()
        return super().values()

    def read_items(self) -> Iterable[tuple[K, V]]:
        """The items, for a reader that changes none of them (not counted as reached)."""
        return dict.items(self)

    def popitem(self) -> tuple[K, V]:
        """As dict's; counts as reaching all keys."""
        self._all()
        return super().popitem()

    def clear(self) -> None:
        """As dict's; counts as reaching all keys."""
        self._all()
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - as dict's
        """As dict's; counts as reaching all keys."""
        self._all()
        super().update(*args, **kwargs)

    def __ior__(self, other: Any) -> TrackedMap[K, V]:  # type: ignore[override,misc]  # noqa: ANN401
        self._all()
        super().update(other)
        return self


def read_items(records: dict[K, V]) -> Iterable[tuple[K, V]]:
    """The items of a map, tracked or not, for a reader that changes none of them."""
    return records.read_items() if isinstance(records, TrackedMap) else records.items()


def read(records: dict[K, V], key: K) -> V | None:
    """``records.get(key)`` for a reader that changes nothing of what it gets (not counted as reached)."""
    return dict.get(records, key)
