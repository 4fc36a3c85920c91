"""The SQLite adapter's notification log: positions per tenant, given out under the write lock.

SQLite has one writer at a time (`BEGIN IMMEDIATE`), so the next position is
the tenant's highest plus one, read through the unique index
`itil_events_position` inside the write transaction: gap-free and in commit
order. Schema 4 added the column and numbered the events stored before it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from itil_l2.errors import StorageError
from itil_l2.storage._rows import EventRow, Notice
from itil_l2.storage._sqlite_facts import PendingFacts
from itil_l2.storage._sqlite_sql import INSERT_CI, micros, time

__all__ = ["FLUSH_AT", "MIGRATION", "Pending", "notices_since"]

FLUSH_AT = 10_000
"""Rows a unit of work holds before it writes them (memory stays bounded)."""

MIGRATION = (
    "ALTER TABLE itil_events ADD COLUMN position INTEGER",
    "DROP TRIGGER itil_events_append_only",  # numbering the stored events is the one update
    """UPDATE itil_events SET position = (
        SELECT n FROM (
            SELECT kind, tenant, id, version,
                   ROW_NUMBER() OVER (PARTITION BY tenant ORDER BY at, kind, id, version) AS n
            FROM itil_events
        ) AS numbered
        WHERE numbered.kind = itil_events.kind AND numbered.tenant = itil_events.tenant
          AND numbered.id = itil_events.id AND numbered.version = itil_events.version
    )""",
    """CREATE TRIGGER itil_events_append_only BEFORE UPDATE ON itil_events
        BEGIN SELECT RAISE(ABORT, 'itil_events is append-only'); END""",
    "CREATE UNIQUE INDEX itil_events_position ON itil_events (tenant, position)",
)
"""Schema 4: each event's position in its tenant's notification log (old events: by time)."""

_INSERT = (
    "INSERT INTO itil_events (kind, tenant, id, version, schema, at, type, data, position)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_LAST = "SELECT COALESCE(MAX(position), 0) FROM itil_events WHERE tenant = ?"
_SINCE = (
    "SELECT position, kind, id, version, schema, at, type, data FROM itil_events"
    " WHERE tenant = ? AND position > ? ORDER BY position LIMIT ?"
)


class Pending:
    """A unit of work's event and CI rows not yet written, and its tenants' last positions.

    Rows are written in one `executemany` each when the unit of work next
    reads, commits, or holds `FLUSH_AT` rows; the writer holds the lock, so
    nobody else moves a tenant's last position meanwhile.
    """

    def __init__(self) -> None:
        self.last: dict[str, int] = {}
        self.events: list[tuple[Any, ...]] = []
        self.cis: list[tuple[str, str, str, str]] = []
        self.facts = PendingFacts()  # KPI facts rows, written with the events

    def add(
        self,
        db: sqlite3.Connection,
        key: tuple[str, str, str],
        events: Sequence[EventRow],
        ci_refs: Sequence[str],
    ) -> None:
        """Hold one aggregate's new events (numbered in the log) and its CI rows."""
        kind, tenant, id = key
        if events:
            if tenant not in self.last:
                self.last[tenant] = db.execute(_LAST, (tenant,)).fetchone()[0]
            first = self.last[tenant] + 1
            self.events += [
                (kind, tenant, id, e.version, e.schema, micros(e.at), e.type, e.data, position)
                for position, e in enumerate(events, start=first)
            ]
            self.last[tenant] = first + len(events) - 1
        self.cis += [(kind, tenant, ci, id) for ci in ci_refs]
        if len(self.events) + len(self.cis) >= FLUSH_AT:
            self.flush(db)

    def flush(self, db: sqlite3.Connection) -> None:
        """Write the rows held so far (before any read of this unit of work)."""
        if self.events:
            db.executemany(_INSERT, self.events)
            self.events = []
        if self.cis:
            db.executemany(INSERT_CI, self.cis)
            self.cis = []
        self.facts.flush(db)

    def clear(self) -> None:
        """Forget everything held (the write transaction ended)."""
        self.last.clear()
        self.events = []
        self.cis = []
        self.facts.clear()


def notices_since(db: sqlite3.Connection, tenant: str, after: int, limit: int) -> list[Notice]:
    """Up to `limit` events of `tenant` after position `after`, in position order."""
    try:
        rows = db.execute(_SINCE, (tenant, after, limit)).fetchall()
    except sqlite3.OperationalError as exc:  # a file older than schema 4, opened read-only
        raise StorageError(
            f"no notification log in this file ({exc}); open it writable once"
        ) from exc
    return [
        Notice(p, kind, id, EventRow(v, s, time(at), t, data))  # type: ignore[arg-type]
        for p, kind, id, v, s, at, t, data in rows
    ]
