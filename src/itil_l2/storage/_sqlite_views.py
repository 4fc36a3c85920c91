"""The SQLite adapter's views: the schema that stores them, lists, and filling old rows.

Schema 6 adds four head columns: `assignee`, `caller`, `title_key` (the
title casefolded, for text search) and `view` (the entity's view as JSON
text), written with the head in the same statement as always. A database
migrated from an older schema has NULL there; opening it writable fills
them in one transaction by replaying each entity once (`fill_views`). A
read-only opening of an older file reads NULL and lists by replay.

A host attribute named in `indexed_attributes` gets an expression index on
`json_extract(view, '$.attributes.<name>')`, created when the store opens.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from itil_l2.storage._kinds import KINDS
from itil_l2.storage._listing import Order
from itil_l2.storage._query import Query
from itil_l2.storage._rows import Head
from itil_l2.storage._sqlite_sql import head, micros, where
from itil_l2.storage._store import Store, _Repo

__all__ = ["MIGRATION", "Statistics", "fill_views", "index_attributes", "list_heads"]

MIGRATION = (
    "ALTER TABLE itil_heads ADD COLUMN assignee TEXT",
    "ALTER TABLE itil_heads ADD COLUMN caller TEXT",
    "ALTER TABLE itil_heads ADD COLUMN title_key TEXT",
    "ALTER TABLE itil_heads ADD COLUMN view TEXT",
    "CREATE INDEX itil_heads_assignee ON itil_heads (kind, tenant, assignee)",
    "CREATE INDEX itil_heads_caller ON itil_heads (kind, tenant, caller)",
    "CREATE INDEX itil_heads_updated ON itil_heads (kind, tenant, updated_at)",
    "CREATE INDEX itil_heads_priority ON itil_heads (kind, tenant, priority)",
)
"""Schema 5 → 6: the view columns and the indexes lists order and filter by."""


class Statistics:
    """Keeps SQLite's planner statistics (`ANALYZE`) in step with the heads table's growth.

    Without statistics SQLite prefers an index that yields the ORDER BY and
    filters every row (17 ms for one agent's 13 tickets among 5,000, against
    0.5 ms through the assignee index). `ANALYZE` with `analysis_limit` costs
    a few milliseconds whatever the table's size; it runs at a writable
    opening that finds none, and after commits that added as many heads as
    the table had at the last run (at least 1,000): amortised, never per write.
    """

    LIMIT = 1000
    """`PRAGMA analysis_limit`: rows sampled per index."""

    def __init__(self, db: sqlite3.Connection) -> None:
        stat = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
        heads = db.execute("SELECT count(*) FROM itil_heads").fetchone()[0]
        self._due = max(self.LIMIT, heads)
        self._added = 0
        if stat is None and heads:
            self.analyze(db)

    def grew(self, db: sqlite3.Connection, added: int) -> None:
        """`added` heads were committed; analyze when the table has about doubled."""
        self._added += added
        if self._added >= self._due:
            self.analyze(db)
            self._due, self._added = self._due + self._added, 0

    def analyze(self, db: sqlite3.Connection) -> None:
        """Refresh the statistics (outside any transaction; a busy database skips it)."""
        try:
            db.execute(f"PRAGMA analysis_limit = {self.LIMIT}")
            db.execute("ANALYZE")
        except sqlite3.OperationalError:  # locked by another writer: next time
            return


_COLUMN = {"id": "id", "opened_at": "opened_at", "updated_at": "updated_at", "priority": "priority"}


def list_heads(
    db: sqlite3.Connection,
    columns: str,
    kind: str,
    tenant: str,
    query: Query,
    order: Order,
    after: tuple[Any, str] | None,
    limit: int,
) -> list[Head]:
    """Up to `limit` matching heads in `order`, after the (value, id) pair `after`."""
    clauses, params = where(query)
    column = _COLUMN[order.key]
    direction = "DESC" if order.descending else "ASC"
    if after is not None:
        value = micros(after[0]) if order.key in ("opened_at", "updated_at") else after[0]
        compare = "<" if order.descending else ">"
        if column == "id":
            clauses.append(f"id {compare} ?")
            params.append(after[1])
        else:
            clauses.append(f"({column}, id) {compare} (?, ?)")  # a row value: uses the index
            params += [value, after[1]]
    by = "id" if column == "id" else f"{column} {direction}, id"
    sql = (
        f"SELECT {columns} FROM itil_heads h WHERE kind = ? AND tenant = ?"
        + "".join(f" AND {c}" for c in clauses)
        + f" ORDER BY {by} {direction} LIMIT ?"
    )
    rows = db.execute(sql, (kind, tenant, *params, limit)).fetchall()
    return [head(row) for row in rows]


def index_attributes(db: sqlite3.Connection, names: Sequence[str]) -> None:
    """An expression index per declared host attribute (names are checked identifiers)."""
    for name in names:
        db.execute(
            f"CREATE INDEX IF NOT EXISTS itil_heads_attr_{name} ON itil_heads"
            f" (kind, tenant, json_extract(view, '$.attributes.{name}'))"
        )


def fill_views(store: Store) -> int:
    """Fill the view columns of every head that has none (rows of an older schema).

    Each such entity is loaded (its history checked and replayed, as `get`
    does) and its head's view columns written, all in one transaction per
    tenant and kind. Returns how many rows were filled.
    """
    session = store.backend.session()
    try:
        pairs = session._fetch(  # type: ignore[attr-defined]
            "SELECT DISTINCT kind, tenant FROM itil_heads WHERE view IS NULL"
        )
    finally:
        session.close()
    filled = 0
    for kind_name, tenant in pairs:
        kind = KINDS.get(kind_name)
        if kind is None or not kind.is_entity:
            continue
        with store.unit_of_work(tenant or None) as uow:
            for item in _Repo(uow, kind).find():
                fresh = kind.index(item)
                filled += uow._session()._write(  # type: ignore[attr-defined]
                    "UPDATE itil_heads SET assignee = ?, caller = ?, title_key = ?, view = ?"
                    " WHERE kind = ? AND tenant = ? AND id = ? AND view IS NULL",
                    (
                        fresh.assignee,
                        fresh.caller,
                        fresh.title_key,
                        fresh.view,
                        kind_name,
                        tenant,
                        item.id,
                    ),
                )
            uow.commit()
    return filled
