"""A SQLite store file's KPI facts and event rows, as stored, read in one snapshot (exports).

`itil_l2.export` turns them into Arrow tables and Parquet files; this module
owns what is SQL about it. The file is opened as `SqliteStore(read_only=True)`
opens it (no byte written, no `-wal` or `-shm` file), and both tables are
read inside one read transaction, so the facts and the events are of one
moment even while a writer commits (an immutable opening instead checks,
at the end, that no writer came: else `StorageError`).

The facts are each tenant's tickets' rows, matched to the tickets as
`stored_facts` matches them (a ticket without facts, or facts of another
version, is `OutdatedFacts`; a facts row of no ticket is left out) and
checked as `kpi_table` checks them (`itil_l2.kpis.checked_facts_rows`:
`CorruptHistory` for a value not of its column's type). Event rows are
checked for their column types (`CorruptHistory` naming the event).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from itil_l2.errors import CorruptHistory
from itil_l2.kpis import checked_facts_rows
from itil_l2.storage._query import Query
from itil_l2.storage._sqlite_facts import facts_rows, ticket_tenants

__all__ = ["EVENT_COLUMNS", "StoredRows"]

EVENT_COLUMNS = ("kind", "tenant", "id", "version", "schema", "at", "type", "data")
"""The columns of an event row (`at`: integer microseconds since 1970-01-01 UTC)."""
_EVENT_TYPES = (str, str, str, int, int, int, str, str)
_ALL = Query()


class StoredRows:
    """The rows of one read transaction: facts, then events, each in batches of `batch` rows."""

    def __init__(self, db: sqlite3.Connection, tenant: str | None, batch: int) -> None:
        self._db = db
        self._tenant = tenant
        self._batch = batch

    def facts(self) -> Iterator[list[tuple[Any, ...]]]:
        """Batches of (tenant, *`FACTS_COLUMNS`) rows, by tenant and ticket id."""
        tenants = ticket_tenants(self._db)
        if self._tenant is not None:
            tenants = [t for t in tenants if t == self._tenant]
        for tenant in tenants:
            after: str | None = None
            while batch := facts_rows(self._db, tenant, _ALL, after, self._batch):
                yield [(tenant, *row) for row in checked_facts_rows(batch)]
                if len(batch) < self._batch:
                    break
                after = batch[-1][0]

    def events(self) -> Iterator[list[tuple[Any, ...]]]:
        """Batches of `EVENT_COLUMNS` rows, by tenant, kind, aggregate and version."""
        where, args = ("", ()) if self._tenant is None else (" WHERE tenant = ?", (self._tenant,))
        cursor = self._db.execute(
            f"SELECT {', '.join(EVENT_COLUMNS)} FROM itil_events{where}"
            " ORDER BY tenant, kind, id, version",
            args,
        )
        while rows := cursor.fetchmany(self._batch):
            _check_events(rows)
            yield rows


def _check_events(rows: Sequence[tuple[Any, ...]]) -> None:
    """Every value of its column's type (`CorruptHistory` naming the first event that is not)."""
    for i, column in enumerate(zip(*rows, strict=True)):
        if set(map(type, column)) <= {_EVENT_TYPES[i]}:
            continue
        row = next(r for r in rows if type(r[i]) is not _EVENT_TYPES[i])
        kind, tenant, id, version = row[:4]
        raise CorruptHistory(
            f"stored {kind} event {id!r} (tenant {tenant!r}) version {version!r}:"
            f" {EVENT_COLUMNS[i]} is {row[i]!r:.60}, not {_EVENT_TYPES[i].__name__}"
        )
