"""The SQLAlchemy adapter's lists: a page of (id, order value, view) rows by keyset."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select, tuple_, update

from itil_l2.storage._listing import Listed, Order
from itil_l2.storage._rows import Head
from itil_l2.storage._sqlalchemy_reads import aware, utc
from itil_l2.storage._tables import heads

__all__ = ["list_views", "rows_of", "set_view_statement", "unviewed_statement"]


def list_views(
    where: list[ColumnElement[bool]],
    order: Order,
    after: tuple[Any, str] | None,
    limit: int,
) -> Any:
    """The statement of a page: (id, order value, view) of matching heads after (value, id)."""
    column = heads.c[order.key]
    if after is not None:
        value = utc(after[0]) if order.timed else after[0]
        if order.key == "id":
            where.append(heads.c.id < after[1] if order.descending else heads.c.id > after[1])
        else:
            mine, cut = tuple_(column, heads.c.id), tuple_(value, after[1])
            where.append(mine < cut if order.descending else mine > cut)
    by = (column, heads.c.id) if order.key != "id" else (heads.c.id,)
    ordered = [c.desc() for c in by] if order.descending else list(by)
    return select(heads.c.id, column, heads.c.view).where(*where).order_by(*ordered).limit(limit)


def rows_of(rows: Sequence[Sequence[Any]], order: Order) -> list[Listed]:
    """List rows from a page's result (times aware: SQLite gives back naive UTC)."""
    if order.timed:
        return [(r[0], aware(r[1]), r[2]) for r in rows]
    return [(r[0], r[1], r[2]) for r in rows]


def unviewed_statement() -> Any:
    """The (kind, tenant) pairs with heads that hold no view."""
    return select(heads.c.kind, heads.c.tenant).where(heads.c.view.is_(None)).distinct()


def set_view_statement(kind: str, tenant: str, head: Head) -> Any:
    """Write a head's view columns where it has none."""
    c = heads.c
    return (
        update(heads)
        .where(c.kind == kind, c.tenant == tenant, c.id == head.id, c.view.is_(None))
        .values(
            assignee=head.assignee, caller=head.caller, title_key=head.title_key, view=head.view
        )
    )
