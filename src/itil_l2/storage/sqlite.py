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

`SqliteStore(path, read_only=True)` reads an existing itil-l2 database
without writing a byte (no WAL switch, no migration, no side files; see
`_sqlite_open`); any write through it is a `StorageError`. `store.imports`
records the import runs into the file (`ImportLog`).
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
from os import PathLike
from typing import Any

from itil_l2._core.public import expose
from itil_l2._core.serialization import UPCASTERS, Upcasters
from itil_l2.errors import AlreadyExists, ConcurrencyError, NotFound, StorageError, ValidationError
from itil_l2.storage._query import Query
from itil_l2.storage._rows import EventRow, Head, Notice, Stream
from itil_l2.storage._sqlite_configs import ConfigRows
from itil_l2.storage._sqlite_imports import ImportLog, ImportRecord, IncompleteImport
from itil_l2.storage._sqlite_log import Pending, notices_since
from itil_l2.storage._sqlite_open import Snapshot, read_only_uri
from itil_l2.storage._sqlite_schema import NotAnItilDatabase, check_readable, migrate
from itil_l2.storage._sqlite_sql import HEAD_COLUMNS as _HEAD_COLUMNS
from itil_l2.storage._sqlite_sql import INSERT_HEAD as _INSERT_HEAD
from itil_l2.storage._sqlite_sql import LOAD as _LOAD
from itil_l2.storage._sqlite_sql import UPDATE_HEAD as _UPDATE_HEAD
from itil_l2.storage._sqlite_sql import VERSION as _VERSION
from itil_l2.storage._sqlite_sql import cis_of, events_of, where
from itil_l2.storage._sqlite_sql import head as _head
from itil_l2.storage._sqlite_sql import head_values as _head_values
from itil_l2.storage._sqlite_sql import time as _time
from itil_l2.storage._store import OnCommit, Store

__all__ = [
    "ImportLog",
    "ImportRecord",
    "IncompleteImport",
    "NotAnItilDatabase",
    "SqliteBackend",
    "SqliteStore",
]


class SqliteSession(ConfigRows):
    """One unit of work on one connection: autocommit reads, then one write transaction."""

    def __init__(self, backend: SqliteBackend, connection: sqlite3.Connection) -> None:
        self._backend = backend
        self._db = connection
        self._pending = Pending()  # event and CI rows not yet written; positions

    def _read(self) -> sqlite3.Connection:
        """The connection for a read, which must see this unit of work's own writes."""
        self._pending.flush(self._db)
        return self._db

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """Several reads that must see one state (a read transaction unless writing)."""
        if self._db.in_transaction:
            self._pending.flush(self._db)
            yield
            return
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

    def _begin_write(self) -> None:
        if not self._db.in_transaction:
            if self._backend.read_only:
                raise StorageError(f"{self._backend.path} is open read-only: nothing is written")
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:  # another writer held the lock too long
                raise StorageError(f"{self._backend.path}: cannot start writing: {exc}") from exc

    def load(self, kind: str, tenant: str, id: str) -> Stream | None:
        rows = self._read().execute(_LOAD, (kind, tenant, id)).fetchall()
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
        self._pending.add(self._db, (kind, tenant, head.id), events, head.ci_refs)

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
        self._read().execute(  # CI rows held for this id go before the delete
            "DELETE FROM itil_cis WHERE kind = ? AND tenant = ? AND id = ?",
            (kind, tenant, head.id),
        )
        self._pending.add(self._db, (kind, tenant, head.id), events, head.ci_refs)

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
            events = events_of(self._db, kind, tenant, ids)
            refs = cis_of(self._db, kind, tenant, ids)
        return [Stream(_head(r, refs.get(r[0], ())), events.get(r[0], ())) for r in rows]

    def events_since(self, tenant: str, after: int, limit: int) -> list[Notice]:
        return notices_since(self._read(), tenant, after, limit)

    def count(self, kind: str, tenant: str, query: Query) -> int:
        clauses, params = where(query)
        sql = "SELECT count(*) FROM itil_heads h WHERE kind = ? AND tenant = ?" + "".join(
            f" AND {c}" for c in clauses
        )
        return int(self._read().execute(sql, (kind, tenant, *params)).fetchone()[0])

    def commit(self) -> None:
        if self._db.in_transaction:
            try:
                self._pending.flush(self._db)
            except sqlite3.Error as exc:  # an event row already there: orphaned by hand
                raise StorageError(f"{self._backend.path}: cannot write events: {exc}") from exc
            self._db.execute("COMMIT")
        self._pending.clear()

    def rollback(self) -> None:
        self._pending.clear()
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def close(self) -> None:
        self.rollback()
        self._backend._release(self._db)

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of one fixed read statement (the import log's reads)."""
        return self._read().execute(sql, params).fetchall()

    def _write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one fixed write statement in this session's write transaction; its row count."""
        self._begin_write()
        return self._db.execute(sql, params).rowcount


class _SnapshotSession(SqliteSession):
    """A session on an immutable read-only opening: every read checks the file stayed put."""

    def __init__(self, backend: SqliteBackend, connection: sqlite3.Connection) -> None:
        super().__init__(backend, connection)
        assert backend._snapshot is not None
        self._check = backend._snapshot.check

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError:
            self._check()  # a torn read of a file that changed: say so
            raise
        self._check()

    def load(self, kind: str, tenant: str, id: str) -> Stream | None:
        with self._guard():
            return super().load(kind, tenant, id)

    def select(
        self, kind: str, tenant: str, query: Query, after: str | None, limit: int
    ) -> list[Stream]:
        with self._guard():
            return super().select(kind, tenant, query, after, limit)

    def count(self, kind: str, tenant: str, query: Query) -> int:
        with self._guard():
            return super().count(kind, tenant, query)

    def events_since(self, tenant: str, after: int, limit: int) -> list[Notice]:
        with self._guard():
            return super().events_since(tenant, after, limit)

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._guard():
            return super()._fetch(sql, params)

    def load_config(self, kind: str) -> str | None:
        with self._guard():
            return super().load_config(kind)


class SqliteBackend:
    """A database file, migrated on open (read-only: checked, never migrated), with a pool.

    `":memory:"` gives a private database in a temporary file that is deleted
    on `close()` (or when the backend is garbage-collected): SQLite's own
    in-memory databases allow one connection, which would serialise every
    unit of work of the process and make two open at once deadlock.
    """

    def __init__(
        self, path: str | PathLike[str], *, timeout: float = 30.0, read_only: bool = False
    ) -> None:
        self._cleanup: weakref.finalize[Any, Any] | None = None
        self.read_only = read_only
        self._snapshot: Snapshot | None = None
        self._session_class = SqliteSession
        if read_only:
            if str(path) == ":memory:":
                raise ValidationError("a read-only store needs a database file, not ':memory:'")
            self._uri, self._snapshot = read_only_uri(os.fspath(path))
            if self._snapshot is not None:
                self._session_class = _SnapshotSession
        elif str(path) == ":memory:":
            folder = tempfile.mkdtemp(prefix="itil_l2-")
            self._cleanup = weakref.finalize(self, shutil.rmtree, folder, True)
            path = os.path.join(folder, "store.sqlite")
        self.path = str(path)
        self.timeout = timeout
        self._pool: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        first = self._connect()
        try:
            if read_only:
                check_readable(first, self.path)
            else:
                migrate(first)
        except BaseException:
            first.close()
            raise
        self._pool.append(first)

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:  # no pragma: the journal mode is the file's, and nothing is written
            try:
                return sqlite3.connect(
                    self._uri,
                    uri=True,
                    timeout=self.timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
            except sqlite3.Error as exc:
                raise StorageError(f"cannot open SQLite database {self.path!r}: {exc}") from exc
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
        return self._session_class(self, db if db is not None else self._connect())

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
    >>> reader = SqliteStore(path, read_only=True)  # reads, never writes a byte
    >>> with reader.unit_of_work() as uow:
    ...     uow.tickets.count()
    1
    >>> reader.close()

    `read_only=True` opens an existing itil-l2 database read-only: a file that
    is not one is refused (`NotAnItilDatabase`), a newer schema too
    (`UnknownSchema`); an older one is read as it is, never migrated. Every
    write through it is a `StorageError`.
    """

    backend: SqliteBackend

    def __init__(
        self,
        path: str | PathLike[str] = ":memory:",
        *,
        timeout: float = 30.0,
        configs: Mapping[type, Any] | None = None,
        upcasters: Upcasters = UPCASTERS,
        on_commit: OnCommit | None = None,
        read_only: bool = False,
        replace_configs: bool = False,
    ) -> None:
        backend = SqliteBackend(path, timeout=timeout, read_only=read_only)
        super().__init__(
            backend,
            configs=configs,
            upcasters=upcasters,
            on_commit=on_commit,
            replace_configs=replace_configs,
        )
        self.imports = ImportLog(self)
        """The import runs recorded in this database."""

    @property
    def read_only(self) -> bool:
        """Whether the store was opened read-only."""
        return self.backend.read_only


expose(__name__, globals(), __all__, source="itil_l2.storage._sqlite")
