"""The SQLite schema and its migrations, run in order when a database is opened.

`itil_schema` holds the schema version; each migration moves it by one inside
a transaction, so an interrupted upgrade leaves the old version intact.
Times are INTEGER microseconds since the epoch (UTC), which sort and compare
correctly; the events' own JSON keeps their original offsets.
"""

from __future__ import annotations

import sqlite3

from itil_l2.errors import UnknownSchema

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE itil_heads (
            kind TEXT NOT NULL, tenant TEXT NOT NULL, id TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            state TEXT NOT NULL, tier TEXT, grp TEXT, priority INTEGER, category TEXT,
            opened_at INTEGER, resolved_at INTEGER, updated_at INTEGER,
            PRIMARY KEY (kind, tenant, id)
        ) WITHOUT ROWID""",
        "CREATE INDEX itil_heads_state ON itil_heads (kind, tenant, state)",
        "CREATE INDEX itil_heads_tier ON itil_heads (kind, tenant, tier)",
        "CREATE INDEX itil_heads_grp ON itil_heads (kind, tenant, grp)",
        "CREATE INDEX itil_heads_category ON itil_heads (kind, tenant, category)",
        "CREATE INDEX itil_heads_opened ON itil_heads (kind, tenant, opened_at)",
        "CREATE INDEX itil_heads_resolved ON itil_heads (kind, tenant, resolved_at)",
        """CREATE TABLE itil_events (
            kind TEXT NOT NULL, tenant TEXT NOT NULL, id TEXT NOT NULL,
            version INTEGER NOT NULL, schema INTEGER NOT NULL, at INTEGER NOT NULL,
            type TEXT NOT NULL, data TEXT NOT NULL,
            PRIMARY KEY (kind, tenant, id, version)
        ) WITHOUT ROWID""",
        """CREATE TRIGGER itil_events_append_only BEFORE UPDATE ON itil_events
            BEGIN SELECT RAISE(ABORT, 'itil_events is append-only'); END""",
        """CREATE TABLE itil_cis (
            kind TEXT NOT NULL, tenant TEXT NOT NULL, ci TEXT NOT NULL, id TEXT NOT NULL,
            PRIMARY KEY (kind, tenant, ci, id)
        ) WITHOUT ROWID""",
    ),
    # 2: a load reads the CIs of one aggregate (its head's ci_refs), and a save replaces them
    ("CREATE INDEX itil_cis_id ON itil_cis (kind, tenant, id)",),
)
"""Each entry: the statements that take the schema from version n to n + 1."""

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(connection: sqlite3.Connection) -> int:
    """Bring the database to `SCHEMA_VERSION`; return the version it had before."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute("CREATE TABLE IF NOT EXISTS itil_schema (version INTEGER NOT NULL)")
        row = connection.execute("SELECT version FROM itil_schema").fetchone()
        if row is None:
            connection.execute("INSERT INTO itil_schema (version) VALUES (0)")
        found = 0 if row is None else int(row[0])
        if found > SCHEMA_VERSION:
            raise UnknownSchema(
                f"the database has schema {found}; this library knows up to {SCHEMA_VERSION}"
            )
        for statements in MIGRATIONS[found:]:
            for statement in statements:
                connection.execute(statement)
        connection.execute("UPDATE itil_schema SET version = ?", (SCHEMA_VERSION,))
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return found
