"""The SQLAlchemy adapter's reads: head rows, events and CIs in one statement.

Under READ COMMITTED (PostgreSQL's default) every statement sees its own
snapshot, so a head read by one statement and its events by the next could
straddle a concurrent save and look like a corrupt history. Each aggregate is
therefore read by one `UNION ALL` of three parts (head rows, their events,
their CIs) for the same ids: one statement, one consistent state, on every
database SQLAlchemy speaks. A page of `find` first selects the matching ids
(a statement of its own, whose answer may be a moment old), then reads them
by primary key in chunks, each one statement. No ORDER BY in the union: the
ids come in the database's order from the first statement, and the events
are put in version order here (a sort of every row of a page would cost more).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    Table,
    and_,
    bindparam,
    literal_column,
    null,
    or_,
    select,
    union_all,
)

from itil_l2.storage._query import Query
from itil_l2.storage._rows import EventRow, Head, Stream
from itil_l2.storage._sqlalchemy_json import attribute_text
from itil_l2.storage._tables import cis, events, heads

__all__ = ["CHUNK", "LOAD", "READ", "aware", "conditions", "page_ids", "params", "streams", "utc"]

_HEAD, _EVENT, _CI = 0, 1, 2
_VERSION = attrgetter("version")


def utc(value: datetime | None) -> datetime | None:
    """An aware time as UTC for the database (None stays None)."""
    return None if value is None else value.astimezone(UTC)


def aware(value: datetime | None) -> datetime | None:
    """A time read back, aware (SQLite gives back naive UTC)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def conditions(kind: str, tenant: str, query: Query) -> list[ColumnElement[bool]]:
    """The WHERE conditions on `heads` for one kind, one tenant and `query`."""
    c = heads.c
    found: list[ColumnElement[bool]] = [c.kind == kind, c.tenant == tenant]
    if query.state is not None:
        plain, pairs = query.state_terms
        terms: list[ColumnElement[bool]] = [c.state.in_(sorted(plain))] if plain else []
        terms += [and_(c.state == phase, c.tier == tier) for phase, tier in pairs]
        found.append(or_(*terms))
    for column, value in (
        (c.tier, None if query.tier is None else query.tier.value),
        (c.grp, query.group),
        (c.priority, query.priority),
        (c.category, query.category),
    ):
        if value is not None:
            found.append(column == value)
    if query.ci is not None:
        related = select(cis.c.id).where(
            cis.c.kind == kind, cis.c.tenant == tenant, cis.c.ci == query.ci
        )
        found.append(c.id.in_(related))
    for column, value in ((c.assignee, query.assignee), (c.caller, query.caller)):
        if value is not None:
            found.append(column == value)
    if query.title_contains is not None:
        found.append(c.title_key.contains(query.title_contains, autoescape=True))
    for name, text in query.attributes or ():
        found.append(attribute_text(name) == text)
    for column, start, before in (
        (c.opened_at, query.opened_from, query.opened_before),
        (c.resolved_at, query.resolved_from, query.resolved_before),
        (c.updated_at, query.updated_from, query.updated_before),
    ):
        if start is not None:
            found.append(column >= utc(start))
        if before is not None:
            found.append(column < utc(before))
    return found


def _union(
    h: Any,
    where: Sequence[ColumnElement[bool]],
    kind: Any,
    tenant: Any,
    mine: Callable[[Select[Any], Table], Select[Any]],
) -> CompoundSelect[Any]:
    """Head rows (`h`: columns of `heads` or of a page of it), then their events and CIs.

    Columns: id, part, n, then per part: a head's state, tier, grp, category,
    priority and three times; an event's type, data, -, -, schema, at; a CI's
    ci. `mine(select, table)` restricts a select of events or CIs to the heads' ids.
    """
    e, x = events.c, cis.c
    parts = (
        select(
            h.id,
            _part(_HEAD).label("part"),
            h.version.label("n"),
            h.state,
            h.tier,
            h.grp,
            h.category,
            h.priority,
            h.opened_at,
            h.resolved_at,
            h.updated_at,
            h.assignee,
            h.caller,
            h.title_key,
            h.view,
        ).where(*where),
        mine(
            select(
                e.id,
                _part(_EVENT),
                e.version,
                e.type,
                e.data,
                null(),
                null(),
                e.schema,
                e.at,
                *(null() for _ in range(6)),
            ),
            events,
        ).where(e.kind == kind, e.tenant == tenant),
        mine(select(x.id, _part(_CI), null(), x.ci, *(null() for _ in range(11))), cis).where(
            x.kind == kind, x.tenant == tenant
        ),
    )
    return union_all(*parts)


def _part(number: int) -> ColumnElement[int]:
    return literal_column(str(number), Integer)


_KIND, _TENANT, _ID = (bindparam(f"itil_{name}", type_=String) for name in ("kind", "tenant", "id"))
_IDS: BindParameter[Any] = bindparam("itil_ids", expanding=True)
LOAD = _union(
    heads.c,
    [heads.c.kind == _KIND, heads.c.tenant == _TENANT, heads.c.id == _ID],
    _KIND,
    _TENANT,
    lambda query, table: query.where(table.c.id == _ID),
)
"""One aggregate's head, events and CIs; parameters `itil_kind`, `itil_tenant`, `itil_id`."""

READ = _union(
    heads.c,
    [heads.c.kind == _KIND, heads.c.tenant == _TENANT, heads.c.id.in_(_IDS)],
    _KIND,
    _TENANT,
    lambda query, table: query.where(table.c.id.in_(_IDS)),
)
"""Several aggregates' heads, events and CIs; `itil_kind`, `itil_tenant`, `itil_ids` (a list)."""

CHUNK = 500
"""Ids per `READ` statement (three IN lists of this length: well within every driver's limit)."""


def params(
    kind: str, tenant: str, id: str | None = None, ids: Sequence[str] = ()
) -> dict[str, Any]:
    """The parameters of `LOAD` (`id`) or `READ` (`ids`)."""
    found: dict[str, Any] = {"itil_kind": kind, "itil_tenant": tenant}
    if id is not None:
        found["itil_id"] = id
    else:
        found["itil_ids"] = list(ids)
    return found


def page_ids(where: Sequence[ColumnElement[bool]], limit: int) -> Select[Any]:
    """The ids of the first `limit` heads matching `where`, in the database's id order."""
    return select(heads.c.id).where(*where).order_by(heads.c.id).limit(limit)


def streams(rows: Iterable[Sequence[Any]]) -> dict[str, Stream]:
    """The streams in a union's rows, by id (events in version order; no head: left out)."""
    rows = list(rows)
    parts: dict[str, tuple[Sequence[Any], list[EventRow], list[str]]] = {
        r[0]: (r, [], []) for r in rows if r[1] == _HEAD
    }
    for r in rows:
        found = parts.get(r[0])
        if found is None or r[1] == _HEAD:
            continue  # a head, or events or CIs without one (not a stored aggregate)
        if r[1] == _EVENT:
            found[1].append(EventRow(r[2], r[7], aware(r[8]), r[3], r[4]))  # type: ignore[arg-type]
        else:
            found[2].append(r[3])
    return {
        id: Stream(
            Head(
                h[0],
                h[2],
                h[3],
                h[4],
                h[5],
                h[7],
                h[6],
                aware(h[8]),
                aware(h[9]),
                aware(h[10]),
                tuple(refs),
                h[11],
                h[12],
                h[13],
                h[14],
            ),
            tuple(sorted(stored, key=_VERSION)),
        )
        for id, (h, stored, refs) in parts.items()
    }
