"""The SQLite adapter's statements and row conversions (fixed strings, `?` parameters)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any

from itil_l2.errors import CorruptHistory
from itil_l2.storage._query import Query
from itil_l2.storage._rows import EventRow, Head

__all__ = [
    "attribute_sql",
    "undecodable_text",
    "HEAD_COLUMNS",
    "INSERT_CI",
    "INSERT_EVENT",
    "INSERT_HEAD",
    "LOAD",
    "OLD_HEAD_COLUMNS",
    "OLD_LOAD",
    "VIEW_SCHEMA",
    "UPDATE_HEAD",
    "VERSION",
    "cis_of",
    "events_of",
    "head",
    "head_values",
    "micros",
    "not_utf8",
    "time",
    "where",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
VIEW_SCHEMA = 6
"""The schema that added the view columns (assignee, caller, title_key, view)."""
_FACTS = "id, version, state, tier, grp, priority, category, opened_at, resolved_at, updated_at"
HEAD_COLUMNS = _FACTS + ", assignee, caller, title_key, view"
OLD_HEAD_COLUMNS = _FACTS + ", NULL, NULL, NULL, NULL"
"""A database of schema < 6 opened read-only: no view columns (a list replays)."""
INSERT_HEAD = (
    "INSERT INTO itil_heads (kind, tenant, id, version, state, tier, grp, priority, category,"
    " opened_at, resolved_at, updated_at, assignee, caller, title_key, view)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPDATE_HEAD = (
    "UPDATE itil_heads SET version = ?, state = ?, tier = ?, grp = ?, priority = ?,"
    " category = ?, opened_at = ?, resolved_at = ?, updated_at = ?, assignee = ?, caller = ?,"
    " title_key = ?, view = ? WHERE kind = ? AND tenant = ? AND id = ? AND version = ?"
)
INSERT_EVENT = (
    "INSERT INTO itil_events (kind, tenant, id, version, schema, at, type, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_CI = "INSERT OR IGNORE INTO itil_cis (kind, tenant, ci, id) VALUES (?, ?, ?, ?)"


def load_sql(head_columns: str) -> str:
    """One statement, so one consistent state: the head row, its events, its CIs.

    No ORDER BY (a sort per part): `load` orders the events itself.
    """
    return (
        f"SELECT 0, {head_columns.removeprefix('id, ')} FROM itil_heads"
        " WHERE kind = ?1 AND tenant = ?2 AND id = ?3"
        " UNION ALL SELECT 1, version, schema, at, type, data"
        + ", NULL"
        * 8
        + " FROM itil_events WHERE kind = ?1 AND tenant = ?2 AND id = ?3"
        " UNION ALL SELECT 2, NULL, ci"
        + ", NULL" * 11
        + " FROM itil_cis WHERE kind = ?1 AND tenant = ?2 AND id = ?3"
    )


LOAD = load_sql(HEAD_COLUMNS)
OLD_LOAD = load_sql(OLD_HEAD_COLUMNS)
VERSION = attrgetter("version")
_MICROSECOND = timedelta(microseconds=1)


def micros(value: datetime | None) -> int | None:
    # one shared timedelta: building it per call was a third of a bulk save's time stamps
    return None if value is None else (value - _EPOCH) // _MICROSECOND


def time(value: int | None) -> datetime | None:
    # the shared microsecond times the count: a third faster than building timedelta(0, 0, value),
    # the same time (or the same error) for every value (an int, a float, text edited in by hand)
    return None if value is None else _EPOCH + _MICROSECOND * value


def attribute_sql(name: str) -> str:
    """A host attribute of the stored view if it is a JSON string, else NULL.

    The type check is inside the expression, so an index on it answers the
    whole filter (a number 42 is not the text "42", an object is not its JSON
    text) without parsing a row's view. `name` is a checked identifier.
    """
    path = f"'$.attributes.{name}'"
    return f"(CASE json_type(view, {path}) WHEN 'text' THEN json_extract(view, {path}) END)"


def where(query: Query) -> tuple[list[str], list[Any]]:
    """The WHERE conditions (fixed strings) and their parameters for `query`."""
    clauses: list[str] = []
    params: list[Any] = []

    def add(clause: str, *values: Any) -> None:
        clauses.append(clause)
        params.extend(values)

    if query.state is not None:
        plain, pairs = query.state_terms
        states = sorted(plain)
        terms = [f"state IN ({', '.join('?' * len(states))})"] if states else []
        terms += ["(state = ? AND tier = ?)"] * len(pairs)
        add(f"({' OR '.join(terms)})", *states, *(v for pair in pairs for v in pair))
    for column, value in (
        ("tier", None if query.tier is None else query.tier.value),
        ("grp", query.group),
        ("priority", query.priority),
        ("category", query.category),
    ):
        if value is not None:
            add(f"{column} = ?", value)
    if query.ci is not None:
        add(
            "id IN (SELECT c.id FROM itil_cis c WHERE c.kind = h.kind AND c.tenant = h.tenant"
            " AND c.ci = ?)",
            query.ci,
        )
    for column, value in (("assignee", query.assignee), ("caller", query.caller)):
        if value is not None:
            add(f"{column} = ?", value)
    if query.title_contains is not None:
        add("instr(title_key, ?) > 0", query.title_contains)
    for name, value in query.attributes or ():
        add(f"{attribute_sql(name)} = ?", value)  # the index's expression, term for term
    for column, start, before in (
        ("opened_at", query.opened_from, query.opened_before),
        ("resolved_at", query.resolved_from, query.resolved_before),
        ("updated_at", query.updated_from, query.updated_before),
    ):
        if start is not None:
            add(f"{column} >= ?", micros(start))
        if before is not None:
            add(f"{column} < ?", micros(before))
    return clauses, params


def head(row: Sequence[Any], ci_refs: Sequence[str] = ()) -> Head:
    """A head from the `HEAD_COLUMNS` of a row."""
    return Head(
        id=row[0],
        version=row[1],
        state=row[2],
        tier=row[3],
        group=row[4],
        priority=row[5],
        category=row[6],
        opened_at=time(row[7]),
        resolved_at=time(row[8]),
        updated_at=time(row[9]),
        ci_refs=tuple(ci_refs),
        assignee=row[10],
        caller=row[11],
        title_key=row[12],
        view=row[13],
    )


def head_values(head: Head) -> tuple[Any, ...]:
    return (
        head.id,
        head.version,
        head.state,
        head.tier,
        head.group,
        head.priority,
        head.category,
        micros(head.opened_at),
        micros(head.resolved_at),
        micros(head.updated_at),
        head.assignee,
        head.caller,
        head.title_key,
        head.view,
    )


def events_of(
    db: sqlite3.Connection, kind: str, tenant: str, ids: list[str]
) -> dict[str, tuple[EventRow, ...]]:
    """The event rows of the aggregates `ids`, in version order, 500 ids a statement."""
    found: dict[str, list[EventRow]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = db.execute(
            "SELECT id, version, schema, at, type, data FROM itil_events"
            f" WHERE kind = ? AND tenant = ? AND id IN ({', '.join('?' * len(chunk))})"
            " ORDER BY id, version",
            (kind, tenant, *chunk),
        )
        current, events = None, []
        for id, version, schema, at, trigger, data in rows:
            if id != current:  # rows come by id: one dict lookup per aggregate, not per row
                current = id
                events = found.setdefault(id, [])
            events.append(EventRow(version, schema, time(at), trigger, data))  # type: ignore[arg-type]
    return {id: tuple(events) for id, events in found.items()}


def cis_of(db: sqlite3.Connection, kind: str, tenant: str, ids: list[str]) -> dict[str, list[str]]:
    """The CI references of the aggregates `ids`, 500 ids a statement."""
    found: dict[str, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = db.execute(
            "SELECT id, ci FROM itil_cis"
            f" WHERE kind = ? AND tenant = ? AND id IN ({', '.join('?' * len(chunk))})",
            (kind, tenant, *chunk),
        )
        for id, ci in rows:
            found.setdefault(id, []).append(ci)
    return found


@contextmanager
def undecodable_text(where: str) -> Iterator[None]:
    """A stored TEXT value that is not UTF-8 (a row edited by hand) as `CorruptHistory`.

    sqlite3 cannot hand such a value over as text and fails the whole fetch
    with `OperationalError("Could not decode to UTF-8 column ...")`.
    """
    try:
        yield
    except sqlite3.OperationalError as exc:
        not_utf8(where, exc)
        raise


def not_utf8(where: str, exc: sqlite3.OperationalError) -> None:
    """`CorruptHistory` if `exc` is sqlite3's failure to decode a stored value (see above)."""
    if "decode" in str(exc):
        raise CorruptHistory(f"{where}: a stored value is not UTF-8 text ({exc})") from None
