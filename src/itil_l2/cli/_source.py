"""Where the command line's tickets come from: a database file, or an export read in memory."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from itil_l2.cli._errors import UsageError
from itil_l2.storage import SqliteStore
from itil_l2.tickets import Ticket

__all__ = ["existing_file", "load_db"]


def existing_file(path: str, what: str) -> Path:
    """`path` as a `Path`, or a `UsageError` naming it when it is not a readable file."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{what} not found: {path}")
    return p


def load_db(path: str) -> list[Ticket]:
    """Every ticket of an itil-l2 SQLite database (never creates one by mistake)."""
    existing_file(path, "database")
    try:
        store = SqliteStore(path)
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{path}: not an itil-l2 database ({exc})") from None
    try:
        with store.unit_of_work() as uow:
            return list(uow.tickets.find(batch_size=2000))
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{path}: not an itil-l2 database ({exc})") from None
    finally:
        store.close()
