"""The import runs an SQLite database records, so a partial import never passes for a whole one.

A run is written `incomplete` in its own transaction before the first ticket;
every batch of tickets commits together with the run's counters, and the last
batch (or an empty one) also sets `complete`, in the same transaction. So a
run interrupted anywhere (Ctrl-C, kill -9, a power cut) stays `incomplete`,
and a run whose tickets are all stored but not marked is resumed with
nothing left to add. A run that stopped on an error is marked `failed` with
its reason (best effort: a killed process marks nothing). Both are
unfinished: `resume` continues one (same file, by its SHA-256, same
options), `begin(replace=True)` empties the database and starts over.

Statements are fixed strings; the table names of `DATA_TABLES` are the
library's own constants.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from itil_l2.errors import ErrorCategory, StorageError
from itil_l2.problems import Problem
from itil_l2.storage._sqlite_schema import DATA_TABLES

if TYPE_CHECKING:
    from itil_l2.storage.sqlite import SqliteSession, SqliteStore
    from itil_l2.tickets import Ticket

__all__ = ["ImportLog", "ImportRecord", "IncompleteImport"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = (
    "run, source, sha256, options, tenant, status, rows_read, tickets_written, attempts,"
    " started_at, finished_at, detail"
)
_RUNS = f"SELECT {_COLUMNS} FROM itil_imports ORDER BY run"
_RUN = f"SELECT {_COLUMNS} FROM itil_imports WHERE run = ?"
_UNFINISHED = f"SELECT {_COLUMNS} FROM itil_imports WHERE status != 'complete' ORDER BY run DESC"
_BEGIN = (
    "INSERT INTO itil_imports (source, sha256, options, tenant, status, started_at)"
    " VALUES (?, ?, ?, ?, 'incomplete', ?)"
)
_RESUME = (
    "UPDATE itil_imports SET status = 'incomplete', attempts = attempts + 1,"
    " finished_at = NULL, detail = NULL WHERE run = ?"
)
_PROGRESS = (
    "UPDATE itil_imports SET rows_read = ?, tickets_written = tickets_written + ?"
    " WHERE run = ? AND status = 'incomplete'"
)
_COMPLETE = (
    "UPDATE itil_imports SET rows_read = ?, tickets_written = tickets_written + ?,"
    " status = 'complete', finished_at = ? WHERE run = ? AND status = 'incomplete'"
)
_FAIL = (
    "UPDATE itil_imports SET status = 'failed', finished_at = ?, detail = ?"
    " WHERE run = ? AND status = 'incomplete'"
)
_TICKET_IDS = "SELECT id FROM itil_heads WHERE kind IN ('ticket', 'problem') AND tenant = ?"


def _now() -> int:
    return (datetime.now(UTC) - _EPOCH) // timedelta(microseconds=1)


def _time(value: int | None) -> datetime | None:
    return None if value is None else _EPOCH + timedelta(microseconds=value)


@dataclass(frozen=True)
class ImportRecord:
    """One import run into a database: what was read, how far it got."""

    run: int
    source: str
    """The export's path as it was given."""
    sha256: str
    """The export's SHA-256 (hex): a resumed run must read the very same bytes."""
    options: str
    """The import's options as the importer wrote them (a resume must use the same)."""
    tenant: str | None
    status: str
    """`incomplete` (running, interrupted or killed), `failed` (stopped on an error), `complete`."""
    rows_read: int
    tickets_written: int
    attempts: int
    """1, plus one per resume."""
    started_at: datetime
    finished_at: datetime | None
    detail: str | None
    """Why a failed run failed."""

    @property
    def complete(self) -> bool:
        """Whether every ticket of the export is stored."""
        return self.status == "complete"

    def describe(self) -> str:
        """One line: the run's source, status and progress."""
        why = f": {self.detail}" if self.detail else ""
        return (
            f"the import of {self.source} is {self.status}{why} ({self.tickets_written:,} tickets"
            f" written, started {self.started_at:%Y-%m-%d %H:%M:%S} UTC)"
        )


def _record(row: tuple[Any, ...]) -> ImportRecord:
    started = _time(row[9])
    assert started is not None
    return ImportRecord(
        run=row[0],
        source=row[1],
        sha256=row[2],
        options=row[3],
        tenant=row[4] or None,
        status=row[5],
        rows_read=row[6],
        tickets_written=row[7],
        attempts=row[8],
        started_at=started,
        finished_at=_time(row[10]),
        detail=row[11],
    )


class IncompleteImport(StorageError):
    """The database holds an import run that has not completed; `record` says which."""

    category = ErrorCategory.CONFLICT  # resume or discard the unfinished run first

    def __init__(self, message: str, record: ImportRecord) -> None:
        super().__init__(message)
        self.record = record


class ImportLog:
    """The import runs recorded in one SQLite database: `SqliteStore(...).imports`."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    @contextmanager
    def _session(self) -> Iterator[SqliteSession]:
        session = self._store.backend.session()
        try:
            yield session
        except sqlite3.Error as exc:
            raise StorageError(f"{self._store.backend.path}: import log: {exc}") from exc
        finally:
            session.close()

    def runs(self) -> list[ImportRecord]:
        """Every recorded run, oldest first (none in a database of an older schema)."""
        with self._session() as session:
            try:
                return [_record(r) for r in session._fetch(_RUNS)]
            except sqlite3.OperationalError:
                if self._store.read_only:  # schema 2, read as it is: no import was recorded
                    return []
                raise

    def get(self, run: int) -> ImportRecord:
        """The run numbered `run`."""
        with self._session() as session:
            rows = session._fetch(_RUN, (run,))
        if not rows:
            raise StorageError(f"{self._store.backend.path}: no import run {run}")
        return _record(rows[0])

    def unfinished(self) -> ImportRecord | None:
        """The latest run that is not complete, if any."""
        found = [r for r in self.runs() if not r.complete]
        return found[-1] if found else None

    def empty(self) -> bool:
        """Whether the database stores nothing: no aggregate, no import run."""
        if not self.runs():
            with self._session() as session:
                return not session._fetch("SELECT EXISTS (SELECT 1 FROM itil_heads)")[0][0]
        return False

    def stored_ids(self, tenant: str | None = None) -> set[str]:
        """The ids of the tickets (and problems) stored in `tenant`: what a resumed run skips."""
        with self._session() as session:
            return {r[0] for r in session._fetch(_TICKET_IDS, (tenant or "",))}

    def begin(
        self,
        source: str,
        sha256: str,
        options: str = "",
        *,
        replace: bool = False,
        tenant: str | None = None,
    ) -> ImportRecord:
        """Record a new run, `incomplete`, and commit it before any ticket is written.

        An unfinished run already there is an `IncompleteImport` (resume it, or
        `replace=True`, which first deletes every stored row and run).
        """
        with self._session() as session:
            session._begin_write()
            if replace:
                for table in DATA_TABLES:  # the stored configs too: the next import stores its own
                    session._write(f"DELETE FROM {table}")
                self._store._stored_configs.clear()
            else:
                rows = session._fetch(_UNFINISHED)
                if rows:
                    record = _record(rows[0])
                    raise IncompleteImport(
                        f"{self._store.backend.path}: {record.describe()}", record
                    )
            session._write(_BEGIN, (source, sha256, options, tenant or "", _now()))
            (run,) = session._fetch("SELECT last_insert_rowid()")[0]
            session.commit()
        return self.get(int(run))

    def resume(self, sha256: str, options: str = "") -> ImportRecord:
        """Mark the unfinished run `incomplete` again, checking it read the same export."""
        path = self._store.backend.path
        with self._session() as session:
            session._begin_write()
            rows = session._fetch(_UNFINISHED)
            if not rows:
                raise StorageError(f"{path}: no unfinished import to resume")
            record = _record(rows[0])
            if record.sha256 != sha256:
                raise StorageError(
                    f"{path}: the unfinished import read {record.source}"
                    f" (sha256 {record.sha256[:12]}), not this file (sha256 {sha256[:12]})"
                )
            if record.options != options:
                raise StorageError(
                    f"{path}: the unfinished import ran with {record.options!r}, not {options!r}"
                )
            session._write(_RESUME, (record.run,))
            session.commit()
        return self.get(record.run)

    def add(
        self,
        record: ImportRecord,
        tickets: Iterable[Ticket | Problem],
        *,
        rows_read: int,
        complete: bool = False,
    ) -> int:
        """Store `tickets` and the run's progress in one transaction; how many were stored.

        A problem among them (an import of a problem log) goes to `uow.problems`.

        `complete=True` marks the run complete in that same transaction.
        """
        added = 0
        with self._store.unit_of_work(record.tenant) as uow:
            for entity in tickets:
                if isinstance(entity, Problem):
                    uow.problems.add(entity)
                else:
                    uow.tickets.add(entity)
                added += 1
            session = cast("SqliteSession", uow._session())
            try:
                if complete:
                    changed = session._write(_COMPLETE, (rows_read, added, _now(), record.run))
                else:
                    changed = session._write(_PROGRESS, (rows_read, added, record.run))
            except sqlite3.Error as exc:
                raise StorageError(f"{self._store.backend.path}: import log: {exc}") from exc
            if changed != 1:
                raise StorageError(
                    f"{self._store.backend.path}: import run {record.run} is no longer running"
                )
            uow.commit()
        return added

    def fail(self, record: ImportRecord, reason: str) -> None:
        """Mark a run that stopped on an error `failed`, with its reason."""
        with self._session() as session:
            session._write(_FAIL, (_now(), reason[:2000], record.run))
            session.commit()
