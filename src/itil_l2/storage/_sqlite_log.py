"""The SQLite adapter's notification log: positions per tenant, given out under the write lock.

SQLite has one writer at a time (`BEGIN IMMEDIATE`), so the next position is
the tenant's highest plus one, read through the unique index
`itil_events_position` inside the write transaction: gap-free and in commit
order. Schema 4 added the column and numbered the events stored before it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from itil_l2.errors import StorageError
from itil_l2.storage._rows import EventRow, Notice
from itil_l2.storage._sqlite_sql import micros, time

__all__ = ["MIGRATION", "notices_since", "write_events"]

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


def write_events(
    db: sqlite3.Connection,
    kind: str,
    tenant: str,
    id: str,
    events: Sequence[EventRow],
    last: dict[str, int],
) -> None:
    """Insert `events` with the tenant's next positions (inside the write transaction).

    `last` remembers each tenant's last position for the rest of the write
    transaction (the writer holds the lock, so nobody else moves it); the
    session clears it when the transaction ends.
    """
    if not events:
        return
    if tenant not in last:
        last[tenant] = db.execute(_LAST, (tenant,)).fetchone()[0]
    first = last[tenant] + 1
    db.executemany(
        _INSERT,
        [
            (kind, tenant, id, e.version, e.schema, micros(e.at), e.type, e.data, position)
            for position, e in enumerate(events, start=first)
        ],
    )
    last[tenant] = first + len(events) - 1


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
