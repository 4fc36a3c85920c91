"""The embedded default: SQLite through the standard library's `sqlite3`.

WAL mode (readers never block the writer), a versioned schema migrated on
open, events as JSON text plus real indexed columns for the queried facts.
A unit of work reads in autocommit until its first write, which starts
`BEGIN IMMEDIATE`: writers take turns (SQLite has one writer anyway), and the
version check of a save runs inside the write lock, so a stale save is a
`ConcurrencyError`, never a lost update. Several processes may open the same
file; they wait for the lock up to `timeout` seconds.

Every statement is a fixed string with `?` parameters: no user data is ever
formatted into SQL.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from os import PathLike
from typing import Any

from itil_l2._core.serialization import UPCASTERS, Upcasters
from itil_l2.errors import AlreadyExists, ConcurrencyError, NotFound, StorageError
from itil_l2.storage._query import Query
from itil_l2.storage._rows import EventRow, Head, Stream
from itil_l2.storage._sqlite_schema import migrate
from itil_l2.storage._store import OnCommit, Store

__all__ = ["SqliteBackend", "SqliteStore"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_HEAD_COLUMNS = (
    "id, version, state, tier, grp, priority, category, opened_at, resolved_at, updated_at"
)
_INSERT_HEAD = (
    "INSERT INTO itil_heads (kind, tenant, id, version, state, tier, grp, priority, category,"
    " opened_at, resolved_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_HEAD = (
    "UPDATE itil_heads SET version = ?, state = ?, tier = ?, grp = ?, priority = ?,"
    " category = ?, opened_at = ?, resolved_at = ?, updated_at = ?"
    " WHERE kind = ? AND tenant = ? AND id = ? AND version = ?"
)
_INSERT_EVENT = (
    "INSERT INTO itil_events (kind, tenant, id, version, schema, at, type, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_CI = "INSERT OR IGNORE INTO itil_cis (kind, tenant, ci, id) VALUES (?, ?, ?, ?)"
_LOAD = (  # one statement, so one consistent state: the head row, its events, its CIs
    "SELECT 0, version, state, tier, grp, priority, category, opened_at, resolved_at,"
    " updated_at FROM itil_heads WHERE kind = ?1 AND tenant = ?2 AND id = ?3"
    " UNION ALL SELECT 1, version, schema, at, type, data, NULL, NULL, NULL, NULL"
    " FROM itil_events WHERE kind = ?1 AND tenant = ?2 AND id = ?3"
    " UNION ALL SELECT 2, NULL, ci, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    " FROM itil_cis WHERE kind = ?1 AND tenant = ?2 AND id = ?3"
)  # no ORDER BY (a sort per part): `load` orders the events itself
_VERSION = attrgetter("version")


def _micros(value: datetime | None) -> int | None:
    return None if value is None else (value - _EPOCH) // timedelta(microseconds=1)


def _time(value: int | None) -> datetime | None:
    # timedelta(days, seconds, microseconds) positionally: a third faster than by keyword
    return None if value is None else _EPOCH + timedelta(0, 0, value)


def where(query: Query) -> tuple[list[str], list[Any]]:
    """The WHERE conditions (fixed strings) and their parameters for `query`."""
    clauses: list[str] = []
    params: list[Any] = []

    def add(clause: str, *values: Any) -> None:
        clauses.append(clause)
        params.extend(values)

    if query.state is not None:
        states = sorted(query.state)
        add(f"state IN ({', '.join('?' * len(states))})", *states)
    for column, value in (
        ("tier", None if query.tier is None else query.tier.value),
        ("grp", query.group),
        ("priority", query.priority),
        ("category", query.category),
    ):
        if value is not None:
            add(f"{column} = ?", value)
    if query.ci is not None:
        add(
            "id IN (SELECT c.id FROM itil_cis c WHERE c.kind = h.kind AND c.tenant = h.tenant"
            " AND c.ci = ?)",
            query.ci,
        )
    for column, start, before in (
        ("opened_at", query.opened_from, query.opened_before),
        ("resolved_at", query.resolved_from, query.resolved_before),
    ):
        if start is not None:
            add(f"{column} >= ?", _micros(start))
        if before is not None:
            add(f"{column} < ?", _micros(before))
    return clauses, params


def _head(row: Sequence[Any], ci_refs: Sequence[str] = ()) -> Head:
    """A head from (id, version, state, tier, grp, priority, category, three times) columns."""
    return Head(
        id=row[0],
        version=row[1],
        state=row[2],
        tier=row[3],
        group=row[4],
        priority=row[5],
        category=row[6],
        opened_at=_time(row[7]),
        resolved_at=_time(row[8]),
        updated_at=_time(row[9]),
        ci_refs=tuple(ci_refs),
    )


class SqliteSession:
    """One unit of work on one connection: autocommit reads, then one write transaction."""

    def __init__(self, backend: SqliteBackend, connection: sqlite3.Connection) -> None:
        self._backend = backend
        self._db = connection

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Several reads that must see one state (a read transaction unless writing)."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def _begin_write(self) -> None:
        if not self._db.in_transaction:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:  # another writer held the lock too long
                raise StorageError(f"{self._backend.path}: cannot start writing: {exc}") from exc

    def load(self, kind: str, tenant: str, id: str) -> Stream | None:
        rows = self._db.execute(_LOAD, (kind, tenant, id)).fetchall()
        heads = [r for r in rows if r[0] == 0]
        if not heads:
            return None  # no head row: not stored (events without one are never read)
        events = [EventRow(r[1], r[2], _time(r[3]), r[4], r[5]) for r in rows if r[0] == 1]  # type: ignore[arg-type]
        events.sort(key=_VERSION)
        refs = [r[2] for r in rows if r[0] == 2]
        return Stream(_head((id, *heads[0][1:]), refs), tuple(events))

    def insert(self, kind: str, tenant: str, head: Head, events: Sequence[EventRow]) -> None:
        self._begin_write()
        try:
            self._db.execute(_INSERT_HEAD, (kind, tenant, *_head_values(head)))
        except sqlite3.IntegrityError as exc:
            raise AlreadyExists(f"{kind} {head.id!r} is already stored") from exc
        self._write_rows(kind, tenant, head, events)

    def append(
        self, kind: str, tenant: str, head: Head, expected: int, events: Sequence[EventRow]
    ) -> None:
        self._begin_write()
        values = _head_values(head)
        cursor = self._db.execute(_UPDATE_HEAD, (*values[1:], kind, tenant, head.id, expected))
        if cursor.rowcount != 1:
            row = self._db.execute(
                "SELECT version FROM itil_heads WHERE kind = ? AND tenant = ? AND id = ?",
                (kind, tenant, head.id),
            ).fetchone()
            if row is None:
                raise NotFound(kind, head.id, tenant or None)
            raise ConcurrencyError(
                f"{kind} {head.id!r} is at version {row[0]}, this copy was loaded at {expected}"
            )
        self._db.execute(
            "DELETE FROM itil_cis WHERE kind = ? AND tenant = ? AND id = ?",
            (kind, tenant, head.id),
        )
        self._write_rows(kind, tenant, head, events)

    def _write_rows(self, kind: str, tenant: str, head: Head, events: Sequence[EventRow]) -> None:
        self._db.executemany(
            _INSERT_EVENT,
            [
                (kind, tenant, head.id, e.version, e.schema, _micros(e.at), e.type, e.data)
                for e in events
            ],
        )
        if head.ci_refs:
            self._db.executemany(_INSERT_CI, [(kind, tenant, ci, head.id) for ci in head.ci_refs])

    def select(
        self, kind: str, tenant: str, query: Query, after: str | None, limit: int
    ) -> list[Stream]:
        clauses, params = where(query)
        if after is not None:
            clauses.append("id > ?")
            params.append(after)
        sql = (
            f"SELECT {_HEAD_COLUMNS} FROM itil_heads h WHERE kind = ? AND tenant = ?"
            + "".join(f" AND {c}" for c in clauses)
            + " ORDER BY id LIMIT ?"
        )
        with self._snapshot():
            rows = self._db.execute(sql, (kind, tenant, *params, limit)).fetchall()
            ids = [r[0] for r in rows]
            events = self._events(kind, tenant, ids)
            refs = self._cis(kind, tenant, ids)
        return [Stream(_head(r, refs.get(r[0], ())), events.get(r[0], ())) for r in rows]

    def _events(self, kind: str, tenant: str, ids: list[str]) -> dict[str, tuple[EventRow, ...]]:
        found: dict[str, list[EventRow]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self._db.execute(
                "SELECT id, version, schema, at, type, data FROM itil_events"
                f" WHERE kind = ? AND tenant = ? AND id IN ({', '.join('?' * len(chunk))})"
                " ORDER BY id, version",
                (kind, tenant, *chunk),
            )
            for r in rows:
                found.setdefault(r[0], []).append(EventRow(r[1], r[2], _time(r[3]), r[4], r[5]))  # type: ignore[arg-type]
        return {id: tuple(events) for id, events in found.items()}

    def _cis(self, kind: str, tenant: str, ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self._db.execute(
                "SELECT id, ci FROM itil_cis"
                f" WHERE kind = ? AND tenant = ? AND id IN ({', '.join('?' * len(chunk))})",
                (kind, tenant, *chunk),
            )
            for id, ci in rows:
                found.setdefault(id, []).append(ci)
        return found

    def count(self, kind: str, tenant: str, query: Query) -> int:
        clauses, params = where(query)
        sql = "SELECT count(*) FROM itil_heads h WHERE kind = ? AND tenant = ?" + "".join(
            f" AND {c}" for c in clauses
        )
        return int(self._db.execute(sql, (kind, tenant, *params)).fetchone()[0])

    def commit(self) -> None:
        if self._db.in_transaction:
            self._db.execute("COMMIT")

    def rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def close(self) -> None:
        self.rollback()
        self._backend._release(self._db)


def _head_values(head: Head) -> tuple[Any, ...]:
    return (
        head.id,
        head.version,
        head.state,
        head.tier,
        head.group,
        head.priority,
        head.category,
        _micros(head.opened_at),
        _micros(head.resolved_at),
        _micros(head.updated_at),
    )


class SqliteBackend:
    """A database file, migrated on open, with a small pool of connections.

    `":memory:"` gives a private database in a temporary file that is deleted
    on `close()` (or when the backend is garbage-collected): SQLite's own
    in-memory databases allow one connection, which would serialise every
    unit of work of the process and make two open at once deadlock.
    """

    def __init__(self, path: str | PathLike[str], *, timeout: float = 30.0) -> None:
        self._cleanup: weakref.finalize[Any, Any] | None = None
        if str(path) == ":memory:":
            folder = tempfile.mkdtemp(prefix="itil_l2-")
            self._cleanup = weakref.finalize(self, shutil.rmtree, folder, True)
            path = os.path.join(folder, "store.sqlite")
        self.path = str(path)
        self.timeout = timeout
        self._pool: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        first = self._connect()
        try:
            migrate(first)
        except BaseException:
            first.close()
            raise
        self._pool.append(first)

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(
                self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open SQLite database {self.path!r}: {exc}") from exc
        db.execute("PRAGMA synchronous = NORMAL")
        return db

    def session(self) -> SqliteSession:
        """A session on a pooled connection (a new one when all are in use)."""
        with self._lock:
            db = self._pool.pop() if self._pool else None
        return SqliteSession(self, db if db is not None else self._connect())

    def _release(self, db: sqlite3.Connection) -> None:
        with self._lock:
            self._pool.append(db)

    def close(self) -> None:
        """Close the pooled connections (and delete a temporary database)."""
        with self._lock:
            pool, self._pool = self._pool, []
        for db in pool:
            db.close()
        if self._cleanup is not None:
            self._cleanup()


class SqliteStore(Store):
    """A `Store` in one SQLite file: the library's embedded default.

    >>> import tempfile, pathlib
    >>> from itil_l2.storage import SqliteStore
    >>> from itil_l2.testing import example_ticket
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "helpdesk.sqlite"
    >>> store = SqliteStore(path)
    >>> with store.unit_of_work() as uow:
    ...     uow.tickets.add(example_ticket())
    ...     uow.commit()
    >>> with store.unit_of_work() as uow:
    ...     uow.tickets.count()
    1
    >>> store.close()
    """

    def __init__(
        self,
        path: str | PathLike[str] = ":memory:",
        *,
        timeout: float = 30.0,
        configs: Mapping[type, Any] | None = None,
        upcasters: Upcasters = UPCASTERS,
        on_commit: OnCommit | None = None,
    ) -> None:
        backend = SqliteBackend(path, timeout=timeout)
        super().__init__(backend, configs=configs, upcasters=upcasters, on_commit=on_commit)
