"""The SQLite adapter's KPI facts: the `itil_kpi_facts` table, written with each ticket.

Schema 7 adds the table (one row per ticket and tenant, `itil_l2.kpis.
FACTS_COLUMNS` after the tenant). A unit of work holds its facts rows with
its event rows (`PendingFacts`) and writes them with `INSERT OR REPLACE` in
the same transaction. A file migrated from an older schema has no rows: its
first writable opening computes them by replay (`Store.rebuild_facts`); a
read-only opening of such a file refuses to read facts (`OutdatedFacts`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from itil_l2.kpis import FACTS_COLUMNS, JoinedRows, OutdatedFacts
from itil_l2.storage._query import Query
from itil_l2.storage._sqlite_sql import where

__all__ = ["FACTS_SCHEMA", "MIGRATION", "PendingFacts", "facts_rows", "ticket_tenants"]

FACTS_SCHEMA = 7
"""The schema that added `itil_kpi_facts`."""

_HOURS = ",\n".join(
    f"l{level}_{part}_h REAL NOT NULL"
    for level in (1, 2, 3)
    for part in ("queue", "work", "hold", "total")
)
MIGRATION = (
    f"""CREATE TABLE itil_kpi_facts (
        tenant TEXT NOT NULL, id TEXT NOT NULL, facts_version INTEGER NOT NULL,
        opened_us INTEGER NOT NULL, end_kind TEXT, end_us INTEGER,
        end_group TEXT NOT NULL, end_tier TEXT NOT NULL, owner_tier TEXT NOT NULL,
        resolved_tier TEXT, resolution_code TEXT, successful INTEGER NOT NULL,
        restored_us INTEGER, responded_us INTEGER,
        tier_mask INTEGER NOT NULL, escalation_mask INTEGER NOT NULL,
        hand_back_mask INTEGER NOT NULL, group_changes INTEGER NOT NULL,
        ping_pongs INTEGER NOT NULL, reopens INTEGER NOT NULL,
        {_HOURS},
        category TEXT, priority TEXT NOT NULL, ci_refs TEXT NOT NULL, detail TEXT NOT NULL,
        PRIMARY KEY (tenant, id)
    ) WITHOUT ROWID""",
    "CREATE INDEX itil_kpi_facts_end ON itil_kpi_facts (tenant, end_us)",
    "CREATE INDEX itil_kpi_facts_group ON itil_kpi_facts (tenant, end_group)",
    "CREATE INDEX itil_kpi_facts_tier ON itil_kpi_facts (tenant, end_tier)",
)
"""Schema 6 → 7: the KPI facts table (its rows are computed on the first writable opening)."""

_COLUMNS = ", ".join(FACTS_COLUMNS)
PUT = (
    f"INSERT OR REPLACE INTO itil_kpi_facts (tenant, {_COLUMNS})"
    f" VALUES (?{', ?' * len(FACTS_COLUMNS)})"
)
_READ = ", ".join(f"f.{c}" for c in FACTS_COLUMNS[1:])  # after the ticket's own id
_ID = itemgetter(0)


class PendingFacts:
    """A unit of work's facts rows not yet written: the last one per ticket."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[Any, ...]] = {}

    def add(self, tenant: str, row: tuple[Any, ...]) -> None:
        self.rows[tenant, row[0]] = (tenant, *row)

    def flush(self, db: sqlite3.Connection) -> None:
        if self.rows:
            db.executemany(PUT, self.rows.values())
            self.rows = {}

    def clear(self) -> None:
        self.rows = {}


def facts_rows(
    db: sqlite3.Connection, tenant: str, query: Query, after: str | None, limit: int
) -> JoinedRows:
    """(id, facts row or None) of up to `limit` matching tickets after id `after`, by id.

    Each row is read whole, facts_version None where the ticket has none.
    Without a filter, the batch's ticket ids are read from the heads and the
    facts rows as one range of the facts table (in its own key order: no
    lookup per ticket), used when the two hold the same ids; otherwise (a
    filter, a ticket without facts, facts without a ticket) each ticket's
    row is joined to its head (the id is then the head's, the join's key).
    """
    clauses, params = where(query)
    try:
        rows = _in_step(db, tenant, after, limit) if not clauses else None
        if rows is None:
            rows = _joined(db, tenant, clauses, params, after, limit)
    except sqlite3.OperationalError as exc:
        if "itil_kpi_facts" not in str(exc):
            raise
        raise OutdatedFacts(
            "the database predates stored KPI facts: open it writable once"
            " (it computes them), or run itil-l2 rebuild-facts --db FILE"
        ) from None
    return JoinedRows(rows)


_AFTER = " AND id > ?"
_IDS = "SELECT id FROM itil_heads WHERE kind = 'ticket' AND tenant = ?{} ORDER BY id LIMIT ?"
_RANGE = f"SELECT {_COLUMNS} FROM itil_kpi_facts WHERE tenant = ?{{}} AND id <= ? ORDER BY id"


def _in_step(
    db: sqlite3.Connection, tenant: str, after: str | None, limit: int
) -> list[tuple[Any, ...]] | None:
    """The facts rows of the next `limit` tickets, if the facts table holds exactly theirs."""
    since = () if after is None else (after,)
    step = "" if after is None else _AFTER
    ids = list(map(_ID, db.execute(_IDS.format(step), (tenant, *since, limit))))
    if not ids:
        return []
    rows = db.execute(_RANGE.format(step), (tenant, *since, ids[-1])).fetchall()
    return rows if len(rows) == len(ids) and list(map(_ID, rows)) == ids else None


def _joined(
    db: sqlite3.Connection,
    tenant: str,
    clauses: list[str],
    params: list[Any],
    after: str | None,
    limit: int,
) -> list[tuple[Any, ...]]:
    """The matching tickets' rows, each joined to its head (None facts where it has none)."""
    if after is not None:
        clauses.append("id > ?")
        params.append(after)
    sql = (
        f"SELECT q.id, {_READ} FROM (SELECT id FROM itil_heads h"
        " WHERE kind = 'ticket' AND tenant = ?"
        + "".join(f" AND {c}" for c in clauses)
        + " ORDER BY id LIMIT ?) q"
        " LEFT JOIN itil_kpi_facts f ON f.tenant = ? AND f.id = q.id ORDER BY q.id"
    )  # in the database's own order, which the next batch's `id > ?` pages by (in a UTF-16
    # file it is not Python's: a sort here read tickets twice or skipped them)
    return db.execute(sql, (tenant, *params, limit, tenant)).fetchall()


def ticket_tenants(db: sqlite3.Connection) -> list[str]:
    """The tenants with stored tickets."""
    rows = db.execute("SELECT DISTINCT tenant FROM itil_heads WHERE kind = 'ticket'")
    return sorted(r[0] for r in rows)


def put_rows(tenant: str, rows: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows for `PUT`: the tenant in front of each facts row."""
    return [(tenant, *row) for row in rows]
