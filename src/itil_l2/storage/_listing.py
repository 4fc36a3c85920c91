"""Lists of views: ordering, a keyset cursor, and pages read without replay.

`Repository.list(query, order_by=, limit=, cursor=)` returns a `Page` of
views (`itil_l2.views`) read from the view each head row holds, so a list
costs one indexed query, not a replay per entity. Pages are cut by a keyset
cursor, (order value, id) of the last item, never by an offset: a page is
as fast at the end of 100,000 rows as at the start, and an entity that
changes between two pages is neither skipped nor repeated unless its order
value moved across the cut.

An adapter lists fast by offering `list_views` (SQLite and SQLAlchemy do);
for one that does not (the in-memory store, a host's own adapter) the store
lists through `select`, in Python, with the same results.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec
from attrs import frozen

from itil_l2.errors import ValidationError
from itil_l2.storage._query import Query
from itil_l2.storage._rows import Head, Stream

__all__ = ["ORDER_KEYS", "Listed", "Order", "Page", "list_page"]

_decode = msgspec.json.Decoder().decode
"""Stored views are decoded by msgspec: four times the standard library's speed on a page of 50."""

V = TypeVar("V")

ORDER_KEYS = ("id", "opened_at", "updated_at", "priority")
"""What a list may be ordered by (`"-updated_at"`: newest first); ties go by id."""
_PRIORITY_KINDS = ("ticket", "problem")
MAX_LIMIT = 1000
_TYPES = {"id": str, "priority": int}


@frozen
class Page(Generic[V]):
    """One page of a list: its views, and the cursor of the next page (None: the last).

    >>> from itil_l2.storage import Page
    >>> Page(items=(), next_cursor=None).next_cursor is None
    True
    """

    items: tuple[V, ...]
    next_cursor: str | None


@frozen
class Order:
    """A list's order: a key of `ORDER_KEYS`, ascending or descending, then id."""

    key: str
    descending: bool = False

    @classmethod
    def parse(cls, text: Any, kind: str) -> Order:
        """`"updated_at"` or `"-updated_at"`; anything else is a `ValidationError`."""
        if not isinstance(text, str) or text.removeprefix("-") not in ORDER_KEYS:
            raise ValidationError(
                f"order_by must be one of {', '.join(ORDER_KEYS)}"
                f" (a leading - for descending), got {text!r}"
            )
        order = cls(text.removeprefix("-"), text.startswith("-"))
        if order.key == "priority" and kind not in _PRIORITY_KINDS:
            raise ValidationError(f"a {kind} has no priority to order by")
        return order

    @property
    def timed(self) -> bool:
        """Whether the order value is a time (stored as the adapter stores times)."""
        return self.key in ("opened_at", "updated_at")

    @property
    def text(self) -> str:
        """The order as `order_by` spells it."""
        return f"-{self.key}" if self.descending else self.key

    def row(self, head: Head) -> Listed:
        """The head as a list row: (id, order value, view text)."""
        return head.id, getattr(head, self.key), head.view

    def after(self, row: Listed, cut: tuple[Any, str]) -> bool:
        """Whether a row comes after the cursor's (value, id) in this order."""
        mine = (row[1], row[0])
        return mine < cut if self.descending else mine > cut

    def cursor(self, row: Listed) -> str:
        """The cursor of the page that starts after `row`."""
        value = row[1]
        shown = value.isoformat() if isinstance(value, datetime) else value
        text = json.dumps([self.text, shown, row[0]], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def cut(self, cursor: Any) -> tuple[Any, str]:
        """The (value, id) a cursor of this order names; `ValidationError` for any other."""
        try:
            if not isinstance(cursor, str):
                raise TypeError(cursor)
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            order, value, id = json.loads(raw)
            if self.timed:
                value = datetime.fromisoformat(value)
                if value.utcoffset() is None:
                    raise ValueError(value)
            elif type(value) is not _TYPES[self.key]:
                raise TypeError(value)
            if not isinstance(id, str) or order != self.text:
                raise ValueError(order)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
            raise ValidationError(
                f"not a cursor of a list ordered by {self.text!r}: {cursor!r}"
            ) from exc
        return value, id


Listed = tuple[str, Any, str | None]
"""A list row as adapters return it: (id, order value, the view's JSON text or None)."""
ListViews = Callable[[str, str, Query, Order, "tuple[Any, str] | None", int], Sequence[Listed]]
Select = Callable[[str, str, Query, "str | None", int], Sequence[Stream]]


def list_page(
    kind: str,
    tenant: str,
    query: Query,
    order: Order,
    cut: tuple[Any, str] | None,
    limit: int,
    session: Any,
    view_of: Callable[[Stream], Any],
) -> Page[Any]:
    """A page of views: the adapter's `list_views` if it has one, else through `select`.

    `view_of` gives the view of a stored aggregate whose row holds none
    (loading and replaying it).
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be an int from 1 to {MAX_LIMIT}, got {limit!r}")
    fast: ListViews | None = getattr(session, "list_views", None)
    if fast is not None:
        rows = list(fast(kind, tenant, query, order, cut, limit + 1))
    else:
        rows = _slow_rows(kind, tenant, query, order, cut, limit + 1, session.select)
    more = len(rows) > limit
    rows = rows[:limit]
    views = [_decode(row[2]) if row[2] is not None else None for row in rows]
    for number, row in enumerate(rows):
        if views[number] is None:  # a row from before views: replay it
            stream = session.load(kind, tenant, row[0])
            views[number] = None if stream is None else view_of(stream)
    return Page(tuple(views), order.cursor(rows[-1]) if more else None)


def _slow_rows(
    kind: str,
    tenant: str,
    query: Query,
    order: Order,
    cut: tuple[Any, str] | None,
    limit: int,
    select: Select,
) -> list[Listed]:
    """The first `limit` matching rows after `cut`, in order, read through `select`."""
    rows = (order.row(h) for h in _all_heads(kind, tenant, query, select))
    after = (row for row in rows if cut is None or order.after(row, cut))
    if order.descending:
        return heapq.nlargest(limit, after, key=lambda r: (r[1], r[0]))
    return heapq.nsmallest(limit, after, key=lambda r: (r[1], r[0]))


def _all_heads(kind: str, tenant: str, query: Query, select: Select) -> Iterator[Head]:
    after: str | None = None
    while True:
        batch = select(kind, tenant, query, after, 500)
        yield from (stream.head for stream in batch)
        if len(batch) < 500:
            return
        after = batch[-1].head.id
