"""`Chain`: an immutable sequence that grows by one in amortised O(1).

An entity field such as a ticket's `links` grows by one item per event. As a
tuple, each append copies every item, so a ticket with n links costs O(n²)
to build and to replay. A `Chain` is a snapshot of a shared, append-only
list: `plus` appends to the list and returns a chain one longer, while every
earlier chain still sees exactly its own items. Membership is O(1) through a
shared index of first positions. It compares equal to a tuple of the same
items, so it reads like the tuple it replaces.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, Generic, TypeVar, overload

__all__ = ["Chain"]

T = TypeVar("T")
_GROWING = threading.Lock()
"""Held while a chain checks it is the newest and appends (chains may share a list)."""


class Chain(Sequence[T], Generic[T]):
    """An immutable sequence whose `plus(item)` is amortised O(1).

    >>> a = Chain(["x"])
    >>> b = a.plus("y")
    >>> a, b, "y" in a, "y" in b, b == ("x", "y")
    (('x',), ('x', 'y'), False, True, True)
    """

    __slots__ = ("_index", "_items", "_n")

    _items: list[T]
    _index: dict[Any, int] | None
    _n: int

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._items = list(items)
        self._index = None
        self._n = len(self._items)

    def plus(self, item: T) -> Chain[T]:
        """This chain with `item` appended (this chain itself does not change)."""
        items = self._items
        longer: Chain[T] = Chain.__new__(Chain)
        with _GROWING:  # is this the newest chain, then grow: one step
            if self._n != len(items):  # a longer chain already grew from this one
                return Chain([*items[: self._n], item])
            items.append(item)
        longer._items, longer._index, longer._n = items, self._index, self._n + 1
        if longer._index is not None and isinstance(item, Hashable):
            longer._index.setdefault(item, self._n)
        return longer

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[T]:
        return islice(self._items, self._n)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            return tuple(self._items[: self._n][index])
        if not -self._n <= index < self._n:
            raise IndexError("Chain index out of range")
        return self._items[index % self._n]

    def __contains__(self, item: object) -> bool:
        try:
            index = self._index
            if index is None:
                index = {}
                for position, known in enumerate(self._items):
                    index.setdefault(known, position)
                self._index = index
            first = index.get(item)
        except TypeError:  # unhashable items: look the slow way
            return any(known == item for known in self)
        return first is not None and first < self._n

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Chain | tuple):
            return len(other) == self._n and all(a == b for a, b in zip(self, other, strict=False))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self) -> tuple[type[Chain[T]], tuple[tuple[T, ...]]]:
        return (Chain, (tuple(self),))
