"""The SQLite adapter's views: the schema that stores them, lists, and filling old rows.

Schema 6 adds four head columns: `assignee`, `caller`, `title_key` (the
title casefolded, for text search) and `view` (the entity's view as JSON
text), written with the head in the same statement as always. A database
migrated from an older schema has NULL there; opening it writable fills
them in one transaction by replaying each entity once (`fill_views`). A
read-only opening of an older file reads NULL and lists by replay.

A stored view is checked against the replayed entity's on every load, text
for text, so changing what a view holds is a schema change: its migration
sets the view columns to NULL, and the writable opening that runs it fills
them again (a SQLAlchemy host's migration does the same, then
`store.fill_views()`). Otherwise every stored view would read as tampered.

A host attribute named in `indexed_attributes` gets an expression index on
the attribute's text (`attribute_sql`), created when the store opens.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, ClassVar

from itil_l2.storage._listing import Listed, Order
from itil_l2.storage._query import Query, attribute_name
from itil_l2.storage._sqlite_sql import attribute_sql, micros, time, where

__all__ = ["MIGRATION", "Statistics", "SET_VIEW", "unviewed", "index_attributes", "list_views"]

MIGRATION = (
    "ALTER TABLE itil_heads ADD COLUMN assignee TEXT",
    "ALTER TABLE itil_heads ADD COLUMN caller TEXT",
    "ALTER TABLE itil_heads ADD COLUMN title_key TEXT",
    "ALTER TABLE itil_heads ADD COLUMN view TEXT",
    # a person's tickets, most recently updated first: the index yields the order too
    "CREATE INDEX itil_heads_assignee ON itil_heads (kind, tenant, assignee, updated_at)",
    "CREATE INDEX itil_heads_caller ON itil_heads (kind, tenant, caller, updated_at)",
    "CREATE INDEX itil_heads_updated ON itil_heads (kind, tenant, updated_at)",
    "CREATE INDEX itil_heads_priority ON itil_heads (kind, tenant, priority)",
    # a tier's queue in one state (L2.queued, L2.on_hold), oldest first: no sort
    "CREATE INDEX itil_heads_queue ON itil_heads (kind, tenant, state, tier, opened_at)",
)
"""Schema 5 → 6: the view columns and the indexes lists order and filter by."""


class Statistics:
    """Gives SQLite's planner the shape of helpdesk data, so a filter's index wins.

    Without statistics SQLite prefers an index that yields the ORDER BY and
    filters every row: one agent's tickets, newest first, read all 100,000
    heads (260 ms) instead of the agent's 190 through the assignee index.
    `ANALYZE` would fix it, but costs 0.7 s per 100,000 heads, and with
    `analysis_limit` its samples of (kind, tenant, column) indexes say every
    column has one value. The shape is known: an id or a time picks about one
    row, an assignee about 20, a caller about 5, a state an eighth of them, a
    tier a third. So the store writes those figures into `sqlite_stat1`
    (SQLite's documented way to guide its planner), scaled to the number of
    heads: at a writable opening without them, and whenever the heads have
    doubled since. O(1) per refresh, never per write.
    """

    SHAPE: ClassVar[dict[str, tuple[float | int, ...]]] = {
        # index -> rows per value of each column after (kind, tenant), prefix by prefix
        # (an int: rows; a float: a share of the heads)
        "itil_heads_state": (1 / 8,),
        "itil_heads_tier": (1 / 3,),
        "itil_heads_grp": (1 / 20,),
        "itil_heads_priority": (1 / 5,),
        "itil_heads_category": (1 / 30,),
        "itil_heads_opened": (1,),
        "itil_heads_resolved": (2,),
        "itil_heads_updated": (1,),
        "itil_heads_assignee": (20, 1),
        "itil_heads_caller": (5, 1),
        "itil_heads_queue": (1 / 8, 1 / 24, 1),
    }
    ATTRIBUTE = (20,)  # a declared host attribute (a customer, a site): rows per value

    def __init__(self, db: sqlite3.Connection) -> None:
        self._heads = db.execute("SELECT count(*) FROM itil_heads").fetchone()[0]
        found = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
        self._added = 0
        if (
            found is None
            or not db.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'itil_heads'").fetchone()
        ):
            self.refresh(db)

    def grew(self, db: sqlite3.Connection, added: int) -> None:
        """`added` heads were committed; refresh when the table has about doubled."""
        self._added += added
        if self._added >= max(self._heads, 1000):
            self._heads += self._added
            self._added = 0
            self.refresh(db)

    def refresh(self, db: sqlite3.Connection) -> None:
        """Write the figures for the current number of heads (a busy database skips it)."""
        n = max(self._heads, 1000)
        indexes = db.execute(
            "PRAGMA index_list(itil_heads)"
        ).fetchall()  # seq, name, unique, origin
        rows = []
        for _seq, name, _unique, origin, *_rest in indexes:
            # a WITHOUT ROWID table's key has its row under the table's name
            index = "itil_heads" if origin == "pk" else name
            shape = (1,) if origin == "pk" else self.SHAPE.get(name, self.ATTRIBUTE)
            per = [max(1, round(n * f)) if isinstance(f, float) else f for f in shape]
            rows.append(("itil_heads", index, " ".join(map(str, [n, n // 2, n // 2, *per]))))
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("ANALYZE itil_schema")  # creates sqlite_stat1 if it is missing
                db.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'itil_heads'")
                db.executemany("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", rows)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("ANALYZE sqlite_schema")  # the planner reloads the figures
        except sqlite3.OperationalError:  # locked by another writer: next time
            return


def list_views(
    db: sqlite3.Connection,
    view: str,
    kind: str,
    tenant: str,
    query: Query,
    order: Order,
    after: tuple[Any, str] | None,
    limit: int,
) -> list[Listed]:
    """Up to `limit` matching (id, order value, view) rows in `order`, after `after`.

    `view` is the view column's name, or "NULL" for a file older than views.
    """
    clauses, params = where(query)
    column = order.key  # one of ORDER_KEYS: a column name, never user text
    direction = "DESC" if order.descending else "ASC"
    timed = order.timed
    if after is not None:
        value = micros(after[0]) if timed else after[0]
        compare = "<" if order.descending else ">"
        if column == "id":
            clauses.append(f"id {compare} ?")
            params.append(after[1])
        else:
            clauses.append(f"({column}, id) {compare} (?, ?)")  # a row value: uses the index
            params += [value, after[1]]
    by = "id" if column == "id" else f"{column} {direction}, id"
    sql = (
        f"SELECT id, {column}, {view} FROM itil_heads h WHERE kind = ? AND tenant = ?"
        + "".join(f" AND {c}" for c in clauses)
        + f" ORDER BY {by} {direction} LIMIT ?"
    )
    rows = db.execute(sql, (kind, tenant, *params, limit)).fetchall()
    if timed:
        return [(id, time(value), text) for id, value, text in rows]
    return rows


def index_attributes(db: sqlite3.Connection, names: Sequence[str]) -> None:
    """An expression index per declared host attribute (names are checked identifiers)."""
    for name in names:
        db.execute(
            f"CREATE INDEX IF NOT EXISTS itil_heads_attr_{name} ON itil_heads"
            f" (kind, tenant, {attribute_sql(attribute_name(name))})"
        )


def unviewed(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """The (kind, tenant) pairs with heads that hold no view."""
    return db.execute("SELECT DISTINCT kind, tenant FROM itil_heads WHERE view IS NULL").fetchall()


SET_VIEW = (
    "UPDATE itil_heads SET assignee = ?, caller = ?, title_key = ?, view = ?"
    " WHERE kind = ? AND tenant = ? AND id = ? AND view IS NULL"
)
