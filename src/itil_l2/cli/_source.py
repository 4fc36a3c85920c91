"""Where the command line's tickets come from: a database file, or an export read in memory."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

from itil_l2.cli._errors import UsageError
from itil_l2.storage.sqlite import IncompleteImport, SqliteStore

__all__ = ["existing_file", "load_db"]


def existing_file(path: str, what: str) -> Path:
    """`path` as a `Path`, or a `UsageError` naming it when it is not a readable file."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{what} not found: {path}")
    return p


def load_db(path: str, *, allow_incomplete: bool = False, kind: str = "ticket") -> list[Any]:
    """Every ticket (`kind="problem"`: problem) of an itil-l2 SQLite database, read-only.

    The tickets replay with the workflow config stored with them (the one
    they were imported with; a database of an earlier version stores none
    and replays with the default). A database with an unfinished import is
    an `IncompleteImport` unless `allow_incomplete` (then a warning on
    stderr says so).
    """
    existing_file(path, "database")
    store = SqliteStore(path, read_only=True)
    try:
        run = store.imports.unfinished()
        if run is not None:
            if not allow_incomplete:
                raise IncompleteImport(
                    f"{path}: {run.describe()}; continue it with"
                    f" `itil-l2 import {run.source} --db {path} --resume`,"
                    " or read what is stored with --allow-incomplete",
                    run,
                )
            print(
                f"itil-l2: warning: {path}: {run.describe()}; the figures cover the tickets"
                " stored so far",
                file=sys.stderr,
            )
        with store.unit_of_work() as uow:
            found = uow.problems if kind == "problem" else uow.tickets
            return list(found.find(batch_size=2000))
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{path}: not an itil-l2 database ({exc})") from None
    finally:
        store.close()
