"""Where the command line's tickets come from: a database file, or an export read in memory."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from itil_l2.cli._errors import UsageError
from itil_l2.errors import StorageError
from itil_l2.kpis import KpiRow, kpi_table, standard_metrics
from itil_l2.report import EXTRA_METRICS
from itil_l2.storage import stored_facts
from itil_l2.storage.sqlite import IncompleteImport, SqliteStore

__all__ = ["existing_file", "load_db", "opened_db", "stored_kpi_rows"]


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
    with opened_db(path, allow_incomplete) as store, store.unit_of_work() as uow:
        found = uow.problems if kind == "problem" else uow.tickets
        return list(found.find(batch_size=2000))


def stored_kpi_rows(
    path: str, by: Sequence[Any], *, allow_incomplete: bool = False
) -> tuple[list[KpiRow], int]:
    """The KPI rows of a database's stored facts (no history replayed), and its ticket count.

    The set is `standard_metrics()` and `EXTRA_METRICS`, each ticket read
    from its KPI facts row (`stored_facts`): what needs a history (SLA
    compliance, the export's own verdicts) is not in it. Facts of another
    `FACTS_VERSION`, or a ticket without any, raise `OutdatedFacts`.
    """
    with opened_db(path, allow_incomplete) as store, store.unit_of_work() as uow:
        count = uow.tickets.count()
        if not count:
            return [], 0
        metrics = [*standard_metrics().values(), *EXTRA_METRICS]
        return kpi_table(stored_facts(uow), by=by, metrics=metrics), count


@contextmanager
def opened_db(path: str, allow_incomplete: bool, *, imports: bool = True) -> Iterator[SqliteStore]:
    """An itil-l2 database opened read-only, its unfinished import refused or warned of.

    A file that is not an itil-l2 database is `NotAnItilDatabase`, one that
    SQLite finds damaged while reading it a `StorageError`: input refused
    (exit 1), never a usage mistake. `imports=False` leaves the import runs
    to a later opening (a first look at what the file holds).
    """
    existing_file(path, "database")
    store = SqliteStore(path, read_only=True)
    try:
        run = store.imports.unfinished() if imports else None
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
        yield store
    except sqlite3.DatabaseError as exc:  # a damaged page met while reading: input refused
        raise StorageError(f"{path}: the database cannot be read ({exc})") from None
    finally:
        store.close()
