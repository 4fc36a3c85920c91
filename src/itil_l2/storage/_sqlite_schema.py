"""The SQLite schema and its migrations, run in order when a database is opened.

`itil_schema` holds the schema version; each migration moves it by one inside
a transaction, so an interrupted upgrade leaves the old version intact.
Times are INTEGER microseconds since the epoch (UTC), which sort and compare
correctly; the events' own JSON keeps their original offsets.

A read-only opening never migrates: `check_readable` accepts a database of
schema `READABLE_FROM` up to `SCHEMA_VERSION` as it is (migrations 2 to 5
only added an index or a table the read paths do without; before 6 the view
columns are read as NULL, and lists replay; before 7 there are no KPI facts,
and reading them is `OutdatedFacts`) and refuses anything else with a typed
error.
"""

from __future__ import annotations

import sqlite3

from itil_l2.errors import StorageError, UnknownSchema
from itil_l2.storage._sqlite_configs import MIGRATION as CONFIG_MIGRATION
from itil_l2.storage._sqlite_facts import MIGRATION as FACTS_MIGRATION
from itil_l2.storage._sqlite_log import MIGRATION as LOG_MIGRATION
from itil_l2.storage._sqlite_views import MIGRATION as VIEW_MIGRATION

__all__ = [
    "DATA_TABLES",
    "MIGRATIONS",
    "READABLE_FROM",
    "SCHEMA_VERSION",
    "NotAnItilDatabase",
    "check_readable",
    "migrate",
]

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
    # 3: every import run into the file, so a partial import never passes for a complete one
    (
        """CREATE TABLE itil_imports (
            run INTEGER PRIMARY KEY,
            source TEXT NOT NULL, sha256 TEXT NOT NULL, options TEXT NOT NULL,
            tenant TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('incomplete', 'complete', 'failed')),
            rows_read INTEGER NOT NULL DEFAULT 0, tickets_written INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 1,
            started_at INTEGER NOT NULL, finished_at INTEGER, detail TEXT
        )""",
    ),
    # 4: the notification log: each event's position in its tenant's log
    LOG_MIGRATION,
    # 5: the workflow config each entity kind was written with (read without: none stored)
    CONFIG_MIGRATION,
    # 6: each entity's view and the columns lists filter on (rows filled on a writable open)
    VIEW_MIGRATION,
    # 7: each ticket's KPI facts (rows computed on a writable open)
    FACTS_MIGRATION,
)
"""Each entry: the statements that take the schema from version n to n + 1."""

SCHEMA_VERSION = len(MIGRATIONS)
READABLE_FROM = 1
"""The oldest schema a read-only opening reads as it is (older: open it writable once)."""
DATA_TABLES = (
    "itil_cis",
    "itil_configs",
    "itil_events",
    "itil_heads",
    "itil_imports",
    "itil_kpi_facts",
)
"""Every table with stored data (not the schema version): what emptying a database deletes."""
_CORE_TABLES = {"itil_heads", "itil_events", "itil_cis"}


class NotAnItilDatabase(StorageError):
    """The file is not an itil-l2 database (not SQLite, or without the itil tables).

    `empty` is true for a file that holds nothing at all (zero bytes, or an
    SQLite database without a single table): no other application's data.
    """

    def __init__(self, message: str, *, empty: bool = False) -> None:
        super().__init__(message)
        self.empty = empty


def check_readable(connection: sqlite3.Connection, path: str) -> int:
    """The schema version of an itil-l2 database that can be read as it is; reads only.

    Raises `NotAnItilDatabase` for a file without the itil tables, `UnknownSchema`
    for a newer schema, and `StorageError` for one older than `READABLE_FROM`.
    """
    try:
        tables = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        row = (
            connection.execute("SELECT version FROM itil_schema").fetchone()
            if "itil_schema" in tables
            else None
        )
    except sqlite3.DatabaseError as exc:
        raise NotAnItilDatabase(f"{path}: not a database ({exc})") from None
    if not tables:
        raise NotAnItilDatabase(f"{path}: not an itil-l2 database (no table)", empty=True)
    if row is None:
        raise NotAnItilDatabase(f"{path}: not an itil-l2 database (no itil_schema version)")
    found = int(row[0])
    if found > SCHEMA_VERSION:
        raise UnknownSchema(
            f"{path}: the database has schema {found}; this library knows up to {SCHEMA_VERSION}"
        )
    if found < READABLE_FROM:
        raise StorageError(
            f"{path}: schema {found} is too old to read as it is;"
            " open it writable once (SqliteStore(path)) to migrate it"
        )
    missing = sorted(_CORE_TABLES - tables)
    if missing:
        raise NotAnItilDatabase(f"{path}: not an itil-l2 database (no {', '.join(missing)} table)")
    return found


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
