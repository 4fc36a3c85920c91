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
from itil_l2.errors import StorageError, ValidationError
from itil_l2.storage._sqlite_dump import EVENT_COLUMNS, StoredRows
from itil_l2.storage._sqlite_facts import FACTS_SCHEMA
from itil_l2.storage._sqlite_imports import ImportLog, ImportRecord, IncompleteImport
from itil_l2.storage._sqlite_open import Snapshot, read_only_uri
from itil_l2.storage._sqlite_schema import NotAnItilDatabase, check_readable, migrate
from itil_l2.storage._sqlite_session import SnapshotSession, SqliteSession
from itil_l2.storage._sqlite_sql import (
    HEAD_COLUMNS,
    OLD_HEAD_COLUMNS,
    VIEW_SCHEMA,
    undecodable_text,
)
from itil_l2.storage._sqlite_views import Statistics, index_attributes
from itil_l2.storage._store import OnCommit, Store

__all__ = [
    "EVENT_COLUMNS",
    "ImportLog",
    "ImportRecord",
    "IncompleteImport",
    "NotAnItilDatabase",
    "SqliteBackend",
    "SqliteSession",
    "SqliteStore",
    "StoredRows",
    "stored_rows",
]


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
                self._session_class = SnapshotSession
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
            self.schema = check_readable(first, self.path) if read_only else migrate(first)
            """The schema version the file had when opened (0: a new file)."""
        except BaseException:
            first.close()
            raise
        self.views = not read_only or self.schema >= VIEW_SCHEMA
        """Whether the file has the view columns (a read-only older one has not)."""
        self.head_columns = HEAD_COLUMNS if self.views else OLD_HEAD_COLUMNS
        self._statistics = None if read_only else Statistics(first)
        self._pool.append(first)

    def grew(self, db: sqlite3.Connection, added: int) -> None:
        """A commit on `db` added `added` heads (the planner's statistics follow)."""
        if self._statistics is not None:
            with self._lock:
                self._statistics.grew(db, added)

    def index_attributes(self, names: Sequence[str]) -> None:
        """Index the declared host attributes (a read-only opening creates nothing)."""
        if not self.read_only:
            db = self.session()
            try:
                index_attributes(db._db, names)
            finally:
                db.close()

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
        indexed_attributes: Sequence[str] = (),
        event_cache: int = 16_384,
    ) -> None:
        backend = SqliteBackend(path, timeout=timeout, read_only=read_only)
        try:
            super().__init__(
                backend,
                configs=configs,
                upcasters=upcasters,
                on_commit=on_commit,
                replace_configs=replace_configs,
                indexed_attributes=indexed_attributes,
                event_cache=event_cache,
            )
        except BaseException:  # a refused argument leaves no connection open
            backend.close()
            raise
        self.imports = ImportLog(self)
        """The import runs recorded in this database."""
        if not read_only and 0 < backend.schema < VIEW_SCHEMA:
            self.fill_views()  # rows of an older schema get their views, once
        if not read_only and 0 < backend.schema < FACTS_SCHEMA:
            self.rebuild_facts()  # and their tickets' KPI facts

    @property
    def read_only(self) -> bool:
        """Whether the store was opened read-only."""
        return self.backend.read_only


@contextmanager
def stored_rows(
    path: str | PathLike[str], *, tenant: str | None = None, batch: int = 50_000
) -> Iterator[StoredRows]:
    """A store file's KPI facts and event rows as stored, read-only, in one read transaction.

    For exporters (`itil_l2.export` writes them as Arrow and Parquet): the
    rows are read lazily, a `batch` at a time, while the block runs, and all
    of one moment. `tenant` None reads every tenant. The file is refused as
    `SqliteStore(path, read_only=True)` refuses it; a page SQLite finds
    damaged is a `StorageError`, faulty rows are typed errors (`StoredRows`).
    """
    store = SqliteStore(path, read_only=True)
    session = store.backend.session()
    where = store.backend.path
    try:
        with session._guard(), session._snapshot(), undecodable_text(f"{where}: stored rows"):
            session._fetch("SELECT count(*) FROM itil_schema")  # the snapshot starts now
            yield StoredRows(session._db, tenant, batch)
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{where}: the database cannot be read ({exc})") from None
    finally:
        session.close()
        store.close()


expose(__name__, globals(), __all__, source="itil_l2.storage._sqlite")
