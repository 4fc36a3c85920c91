"""The SQLite adapter's session: autocommit reads, then one write transaction.

See `itil_l2.storage.sqlite` for the adapter as a whole.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from itil_l2.errors import AlreadyExists, ConcurrencyError, NotFound, StorageError
from itil_l2.storage._listing import Listed, Order
from itil_l2.storage._query import Query
from itil_l2.storage._rows import EventRow, Head, Notice, Stream
from itil_l2.storage._sqlite_configs import ConfigRows
from itil_l2.storage._sqlite_facts import PUT as PUT_FACTS
from itil_l2.storage._sqlite_facts import facts_rows, put_rows, ticket_tenants
from itil_l2.storage._sqlite_log import Pending, notices_since
from itil_l2.storage._sqlite_sql import INSERT_HEAD as _INSERT_HEAD
from itil_l2.storage._sqlite_sql import LOAD as _LOAD
from itil_l2.storage._sqlite_sql import OLD_LOAD as _OLD_LOAD
from itil_l2.storage._sqlite_sql import UPDATE_HEAD as _UPDATE_HEAD
from itil_l2.storage._sqlite_sql import VERSION as _VERSION
from itil_l2.storage._sqlite_sql import (
    VIEW_SCHEMA,
    cis_of,
    events_of,
    not_utf8,
    undecodable_text,
    where,
)
from itil_l2.storage._sqlite_sql import head as _head
from itil_l2.storage._sqlite_sql import head_values as _head_values
from itil_l2.storage._sqlite_sql import time as _time
from itil_l2.storage._sqlite_views import SET_VIEW, list_views, unviewed

if TYPE_CHECKING:
    from itil_l2.storage.sqlite import SqliteBackend

__all__ = ["SqliteSession", "SnapshotSession"]


class SqliteSession(ConfigRows):
    """One unit of work on one connection: autocommit reads, then one write transaction."""

    def __init__(self, backend: SqliteBackend, connection: sqlite3.Connection) -> None:
        self._backend = backend
        self._db = connection
        self._pending = Pending()  # event and CI rows not yet written; positions
        self._added = 0  # heads inserted by this unit of work (statistics: see commit)

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

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Reads that must be of the file as opened (SQLite's locks see to it here)."""
        yield

    def _begin_write(self) -> None:
        if not self._db.in_transaction:
            if self._backend.read_only:
                raise StorageError(f"{self._backend.path} is open read-only: nothing is written")
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:  # another writer held the lock too long
                raise StorageError(f"{self._backend.path}: cannot start writing: {exc}") from exc

    def load(self, kind: str, tenant: str, id: str) -> Stream | None:
        load = _LOAD if self._backend.views else _OLD_LOAD
        try:  # not `undecodable_text`: a context manager's generator costs a get 1 µs
            rows = self._read().execute(load, (kind, tenant, id)).fetchall()
        except sqlite3.OperationalError as exc:
            not_utf8(f"stored {kind} {id!r}", exc)
            raise
        heads = [r for r in rows if r[0] == 0]
        if not heads:
            return None  # no head row: not stored (events without one are never read)
        events = [EventRow(r[1], r[2], _time(r[3]), r[4], r[5]) for r in rows if r[0] == 1]  # type: ignore[arg-type]
        events.sort(key=_VERSION)
        refs = [r[2] for r in rows if r[0] == 2]
        return Stream(_head((id, *heads[0][1:]), refs), tuple(events))

    def insert(self, kind: str, tenant: str, head: Head, events: Sequence[EventRow]) -> None:
        self._begin_write()
        self._added += 1
        try:
            self._db.execute(_INSERT_HEAD, (kind, tenant, *_head_values(head)))
        except sqlite3.IntegrityError as exc:
            raise AlreadyExists(f"{kind} {head.id!r} is already stored") from exc
        if head.facts is not None:
            self._pending.facts.add(tenant, head.facts.row)
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
        if head.facts is not None:
            self._pending.facts.add(tenant, head.facts.row)
        self._pending.add(self._db, (kind, tenant, head.id), events, head.ci_refs)

    def select(
        self, kind: str, tenant: str, query: Query, after: str | None, limit: int
    ) -> list[Stream]:
        clauses, params = self._where(query)
        if after is not None:
            clauses.append("id > ?")
            params.append(after)
        sql = (
            f"SELECT {self._backend.head_columns} FROM itil_heads h WHERE kind = ? AND tenant = ?"
            + "".join(f" AND {c}" for c in clauses)
            + " ORDER BY id LIMIT ?"
        )
        with self._snapshot(), undecodable_text(f"stored {kind}s after {after!r}"):
            rows = self._db.execute(sql, (kind, tenant, *params, limit)).fetchall()
            ids = [r[0] for r in rows]
            events = events_of(self._db, kind, tenant, ids)
            refs = cis_of(self._db, kind, tenant, ids)
        return [Stream(_head(r, refs.get(r[0], ())), events.get(r[0], ())) for r in rows]

    def events_since(self, tenant: str, after: int, limit: int) -> list[Notice]:
        with undecodable_text(f"the notification log after position {after}"):
            return notices_since(self._read(), tenant, after, limit)

    def list_views(
        self,
        kind: str,
        tenant: str,
        query: Query,
        order: Order,
        after: tuple[Any, str] | None,
        limit: int,
    ) -> list[Listed]:
        self._where(query)  # refuses filters an old read-only schema cannot answer
        view = "view" if self._backend.views else "NULL"  # NULL: the store replays the row
        with undecodable_text(f"a list of stored {kind}s"):
            return list_views(self._read(), view, kind, tenant, query, order, after, limit)

    def unviewed(self) -> list[tuple[str, str]]:
        """The (kind, tenant) pairs with heads that hold no view (`Store.fill_views`)."""
        return unviewed(self._read())

    def set_view(self, kind: str, tenant: str, head: Head) -> int:
        """Write a head's view columns where it has none; 1 if written."""
        values = (head.assignee, head.caller, head.title_key, head.view, kind, tenant, head.id)
        return self._write(SET_VIEW, values)

    def facts(
        self, tenant: str, query: Query, after: str | None, limit: int
    ) -> Sequence[tuple[str, Sequence[Any] | None]]:
        """(id, stored facts row or None) of the matching tickets (`stored_facts`)."""
        self._where(query)
        with undecodable_text("stored KPI facts"):
            return facts_rows(self._read(), tenant, query, after, limit)

    def put_facts(self, tenant: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Replace stored tickets' facts rows (`Store.rebuild_facts`)."""
        if rows:
            self._begin_write()
            self._read().executemany(PUT_FACTS, put_rows(tenant, rows))

    def ticket_tenants(self) -> list[str]:
        """The tenants with stored tickets."""
        return ticket_tenants(self._read())

    def _where(self, query: Query) -> tuple[list[str], list[Any]]:
        if not self._backend.views and query.uses_view_columns:
            raise StorageError(
                f"{self._backend.path} predates stored views (schema < {VIEW_SCHEMA}):"
                " open it writable once to filter on assignee, caller, title or attributes"
            )
        return where(query)

    def count(self, kind: str, tenant: str, query: Query) -> int:
        clauses, params = self._where(query)
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
        added, self._added = self._added, 0
        if added:
            self._backend.grew(self._db, added)

    def rollback(self) -> None:
        self._pending.clear()
        self._added = 0
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


class SnapshotSession(SqliteSession):
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

    def list_views(
        self,
        kind: str,
        tenant: str,
        query: Query,
        order: Order,
        after: tuple[Any, str] | None,
        limit: int,
    ) -> list[Listed]:
        with self._guard():
            return super().list_views(kind, tenant, query, order, after, limit)

    def events_since(self, tenant: str, after: int, limit: int) -> list[Notice]:
        with self._guard():
            return super().events_since(tenant, after, limit)

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._guard():
            return super()._fetch(sql, params)

    def load_config(self, kind: str) -> str | None:
        with self._guard():
            return super().load_config(kind)
