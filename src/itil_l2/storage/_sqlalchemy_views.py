"""The SQLAlchemy adapter's lists: a page of heads (with their views) by keyset."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select, tuple_

from itil_l2.storage._listing import Order
from itil_l2.storage._rows import Head
from itil_l2.storage._sqlalchemy_reads import aware, utc
from itil_l2.storage._tables import heads

__all__ = ["heads_of", "list_heads"]


_COLUMNS = (
    heads.c.id,
    heads.c.version,
    heads.c.state,
    heads.c.tier,
    heads.c.grp,
    heads.c.priority,
    heads.c.category,
    heads.c.opened_at,
    heads.c.resolved_at,
    heads.c.updated_at,
    heads.c.assignee,
    heads.c.caller,
    heads.c.title_key,
    heads.c.view,
)


def list_heads(
    where: list[ColumnElement[bool]],
    order: Order,
    after: tuple[Any, str] | None,
    limit: int,
) -> Any:
    """The statement of a page: matching heads in `order` after (value, id), at most `limit`."""
    column = heads.c[order.key]
    if after is not None:
        value = utc(after[0]) if order.key in ("opened_at", "updated_at") else after[0]
        if order.key == "id":
            where.append(heads.c.id < after[1] if order.descending else heads.c.id > after[1])
        else:
            mine, cut = tuple_(column, heads.c.id), tuple_(value, after[1])
            where.append(mine < cut if order.descending else mine > cut)
    by = (column, heads.c.id) if order.key != "id" else (heads.c.id,)
    ordered = [c.desc() for c in by] if order.descending else list(by)
    return select(*_COLUMNS).where(*where).order_by(*ordered).limit(limit)


def heads_of(rows: Sequence[Sequence[Any]]) -> list[Head]:
    """Heads from rows of `_COLUMNS` (no CI references: a list does not need them)."""
    return [
        Head(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            aware(r[7]),
            aware(r[8]),
            aware(r[9]),
            (),
            r[10],
            r[11],
            r[12],
            r[13],
        )
        for r in rows
    ]
