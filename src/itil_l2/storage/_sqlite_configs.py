"""The SQLite adapter's stored configs: one row per entity kind in `itil_configs` (schema 5).

A mixin of `SqliteSession`. The claim runs under the write lock (`BEGIN
IMMEDIATE`), so of two first writers the second finds the first one's row.
A file of schema 4 or older opened read-only has no such table: it reads as
one that stores no config.
"""

from __future__ import annotations

import sqlite3

__all__ = ["ConfigRows", "MIGRATION"]

MIGRATION = ("CREATE TABLE itil_configs (kind TEXT PRIMARY KEY, data TEXT NOT NULL) WITHOUT ROWID",)
"""Schema 5: the workflow config each entity kind's stored entities were written with."""

_LOAD = "SELECT data FROM itil_configs WHERE kind = ?"
_INSERT = "INSERT OR IGNORE INTO itil_configs (kind, data) VALUES (?, ?)"
_REPLACE = (
    "INSERT INTO itil_configs (kind, data) VALUES (?, ?)"
    " ON CONFLICT (kind) DO UPDATE SET data = excluded.data"
)


class ConfigRows:
    """`load_config` and `claim_config` on the session's connection."""

    _db: sqlite3.Connection

    def _read(self) -> sqlite3.Connection:  # pragma: no cover - the session's
        raise NotImplementedError

    def _begin_write(self) -> None:  # pragma: no cover - the session's
        raise NotImplementedError

    def load_config(self, kind: str) -> str | None:
        """The config text stored for `kind`, or None."""
        try:
            row = self._read().execute(_LOAD, (kind,)).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None  # schema 4 or older, read as it is: no config stored
            raise
        return None if row is None else str(row[0])

    def claim_config(self, kind: str, text: str, replace: bool) -> str:
        """Store `text` for `kind` unless a config is stored (`replace`: anyway); the stored one."""
        self._begin_write()
        self._db.execute(_REPLACE if replace else _INSERT, (kind, text))
        return str(self._db.execute(_LOAD, (kind,)).fetchone()[0])
