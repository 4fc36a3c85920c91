"""The SQLAlchemy 2 adapter (extra `sql`): PostgreSQL, SQLite, anything SQLAlchemy speaks.

`metadata` holds the library's tables, so a host's Alembic migrations
include them (`target_metadata = [host_metadata, itil_l2.storage.sqlalchemy.metadata]`).

`SqlAlchemyStore` accepts an `Engine` or a `sessionmaker` (each unit of work
runs its own transaction) or the host's own `Connection` or ORM `Session`:
then every unit of work runs inside a SAVEPOINT of the host's transaction, so
the host's commit covers the library's writes and its own, a unit of work's
rollback undoes only its own writes, and the events are handed to `on_commit`
when the host's transaction commits (a `Session`'s root transaction; a
`Connection`'s `commit` event, which fires as its commit begins), never if it
rolls back. `store.bind(session)` is the per-request form: a store made once
hands out cheap bindings to each request's Session.

On PostgreSQL under READ COMMITTED, `UPDATE ... WHERE version = :expected`
waits for a concurrent writer of the same row and then re-checks the version,
so a stale save is a `ConcurrencyError`, never a lost update. A driver error
is never raised as is: a conflict with another transaction (SQLite busy or
locked, a serialization failure or deadlock) is a `ConcurrencyError`, any
other a `StorageError` with the driver's error as its cause.

SQLite under a host's transaction needs SQLAlchemy's pysqlite recipe
(`enable_sqlite_savepoints(engine)`); without it a joined unit of work is
refused with `TransactionNotJoinable`.

>>> from sqlalchemy import create_engine
>>> from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
>>> from itil_l2.testing import example_ticket
>>> engine = create_engine("sqlite://")
>>> metadata.create_all(engine)
>>> store = SqlAlchemyStore(engine)
>>> with store.unit_of_work() as uow:
...     uow.tickets.add(example_ticket())
...     uow.commit()
>>> with store.unit_of_work() as uow:
...     uow.tickets.get("INC-EXAMPLE").version
3
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from sqlalchemy.schema import CreateIndex

from itil_l2._core.public import expose
from itil_l2._core.serialization import UPCASTERS, Upcasters
from itil_l2.errors import AlreadyExists, ConcurrencyError, NotFound, ValidationError
from itil_l2.storage._listing import Listed, Order
from itil_l2.storage._query import Query
from itil_l2.storage._rows import EventRow, Head, Notice, Stream
from itil_l2.storage._sqlalchemy_configs import ConfigRows
from itil_l2.storage._sqlalchemy_errors import translated
from itil_l2.storage._sqlalchemy_facts import FactsRows
from itil_l2.storage._sqlalchemy_held import held_events
from itil_l2.storage._sqlalchemy_json import attribute_index
from itil_l2.storage._sqlalchemy_log import Pending, notices_since
from itil_l2.storage._sqlalchemy_reads import (
    CHUNK,
    LOAD,
    READ,
    conditions,
    page_ids,
    params,
    streams,
)
from itil_l2.storage._sqlalchemy_reads import utc as _utc
from itil_l2.storage._sqlalchemy_tx import (
    JoinedConnection,
    JoinedSession,
    OwnConnection,
    OwnSession,
    Transactions,
    enable_sqlite_savepoints,
)
from itil_l2.storage._sqlalchemy_views import (
    list_views,
    rows_of,
    set_view_statement,
    unviewed_statement,
)
from itil_l2.storage._store import OnCommit, Store
from itil_l2.storage._tables import cis, configs, events, heads, metadata, positions

__all__ = [
    "SqlAlchemyBackend",
    "attribute_index",
    "SqlAlchemyStore",
    "cis",
    "configs",
    "enable_sqlite_savepoints",
    "events",
    "positions",
    "heads",
    "metadata",
]

Bind = Engine | Connection | Session | sessionmaker[Any]
"""What a store runs on: its own transactions (Engine, sessionmaker) or the host's."""


def _head_values(head: Head) -> dict[str, Any]:
    return {
        "version": head.version,
        "state": head.state,
        "tier": head.tier,
        "grp": head.group,
        "priority": head.priority,
        "category": head.category,
        "opened_at": _utc(head.opened_at),
        "resolved_at": _utc(head.resolved_at),
        "updated_at": _utc(head.updated_at),
        "assignee": head.assignee,
        "caller": head.caller,
        "title_key": head.title_key,
        "view": head.view,
    }


class SqlAlchemySession(ConfigRows, FactsRows):
    """One unit of work on one SQLAlchemy connection (own transaction or a SAVEPOINT)."""

    def __init__(self, backend: SqlAlchemyBackend) -> None:
        with translated("start a unit of work"):
            self._tx: Transactions = backend._transactions()
            self._conn = self._tx.connection()
        self._writing = False
        self._pending = Pending()  # event and CI rows not yet written; positions

    def _write(self) -> Connection:
        if not self._writing:
            self._conn = self._tx.begin()
            self._writing = True
        return self._conn

    def _read(self) -> Connection:
        """The connection for a read, which must see this unit of work's own writes."""
        if self._writing:
            self._pending.flush(self._conn)
        return self._conn

    def load(self, kind: str, tenant: str, id: str) -> Stream | None:
        with translated(f"load {kind} {id!r}"):
            found = streams(self._read().execute(LOAD, params(kind, tenant, id)))
        return found.get(id)  # no head row: not stored

    def insert(self, kind: str, tenant: str, head: Head, rows: Sequence[EventRow]) -> None:
        with translated(f"add {kind} {head.id!r}"):
            conn = self._write()
            values = {"kind": kind, "tenant": tenant, "id": head.id, **_head_values(head)}
            if not self._insert_new(conn, values):
                raise AlreadyExists(f"{kind} {head.id!r} is already stored")
            if head.facts is not None:
                self._pending.facts.add(tenant, head.facts.row)
            self._pending.add(conn, (kind, tenant, head.id), rows, head.ci_refs)

    def _insert_new(self, conn: Connection, values: dict[str, Any]) -> bool:
        """Insert a head row unless its key exists, without aborting the transaction."""
        dialect = conn.dialect.name
        if dialect in ("postgresql", "sqlite"):
            module: Any = postgresql if dialect == "postgresql" else sqlite
            statement = module.insert(heads).values(values).on_conflict_do_nothing()
            # rowcount is not reliable here (psycopg reports -1); RETURNING is.
            return conn.execute(statement.returning(heads.c.id)).first() is not None
        exists = conn.execute(
            select(heads.c.version).where(
                heads.c.kind == values["kind"],
                heads.c.tenant == values["tenant"],
                heads.c.id == values["id"],
            )
        ).first()
        if exists is not None:
            return False
        conn.execute(insert(heads).values(values))
        return True

    def append(
        self, kind: str, tenant: str, head: Head, expected: int, rows: Sequence[EventRow]
    ) -> None:
        with translated(f"save {kind} {head.id!r}"):
            conn = self._write()
            key = and_(heads.c.kind == kind, heads.c.tenant == tenant, heads.c.id == head.id)
            updated = conn.execute(
                update(heads)
                .where(key, heads.c.version == expected)
                .values(_head_values(head))
                .returning(heads.c.version)
            ).first()
            if updated is None:
                stored = conn.execute(select(heads.c.version).where(key)).scalar()
                if stored is None:
                    raise NotFound(kind, head.id, tenant or None)
                raise ConcurrencyError(
                    f"{kind} {head.id!r} is at version {stored}, this copy was loaded at {expected}"
                )
            self._pending.flush(conn)  # CI rows held for this id go before the delete
            conn.execute(
                delete(cis).where(cis.c.kind == kind, cis.c.tenant == tenant, cis.c.id == head.id)
            )
            if head.facts is not None:
                self._pending.facts.add(tenant, head.facts.row)
            self._pending.add(conn, (kind, tenant, head.id), rows, head.ci_refs)

    def select(
        self, kind: str, tenant: str, query: Query, after: str | None, limit: int
    ) -> list[Stream]:
        where = conditions(kind, tenant, query)
        if after is not None:
            where.append(heads.c.id > after)
        found: dict[str, Stream] = {}
        with translated(f"find {kind}s"):
            ids = self._read().execute(page_ids(where, limit)).scalars().all()
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                found.update(streams(self._conn.execute(READ, params(kind, tenant, ids=chunk))))
        return [found[id] for id in ids if id in found]

    def list_views(
        self,
        kind: str,
        tenant: str,
        query: Query,
        order: Order,
        after: tuple[Any, str] | None,
        limit: int,
    ) -> list[Listed]:
        statement = list_views(conditions(kind, tenant, query), order, after, limit)
        with translated(f"list {kind}s"):
            return rows_of(self._read().execute(statement).all(), order)

    def unviewed(self) -> list[tuple[str, str]]:
        """The (kind, tenant) pairs with heads that hold no view (`Store.fill_views`)."""
        with translated("find rows without views"):
            return [(r[0], r[1]) for r in self._read().execute(unviewed_statement())]

    def set_view(self, kind: str, tenant: str, head: Head) -> int:
        """Write a head's view columns where it has none; 1 if written."""
        with translated(f"store the view of {kind} {head.id!r}"):
            return int(self._write().execute(set_view_statement(kind, tenant, head)).rowcount)

    def count(self, kind: str, tenant: str, query: Query) -> int:
        statement = select(func.count()).select_from(heads).where(*conditions(kind, tenant, query))
        with translated(f"count {kind}s"):
            return int(self._read().execute(statement).scalar_one())

    def events_since(self, tenant: str, after: int, limit: int) -> list[Notice]:
        with translated("read the notification log"):
            return notices_since(self._read(), tenant, after, limit)

    def commit(self) -> None:
        with translated("commit the unit of work"):
            if self._writing:
                self._pending.finish(self._conn)
            self._tx.commit()
        self._writing = False

    def rollback(self) -> None:
        self._writing = False
        self._pending.clear()
        with translated("roll back the unit of work"):
            self._tx.rollback()

    def close(self) -> None:
        self._writing = False
        self._pending.clear()
        with translated("close the unit of work"):
            self._tx.close()


class SqlAlchemyBackend:
    """Rows in the library's tables: own transactions, or inside a host's Connection/Session."""

    def __init__(self, bind: Bind) -> None:
        if not isinstance(bind, (Engine, Connection, Session, sessionmaker)):
            raise ValidationError(
                f"expected an Engine, sessionmaker, Connection or Session, got {bind!r}"
            )
        self.bind = bind

    @property
    def joined(self) -> bool:
        """Whether units of work join the host's transaction (savepoints) rather than own one."""
        return isinstance(self.bind, (Connection, Session))

    def session(self) -> SqlAlchemySession:
        """A new session for one unit of work."""
        return SqlAlchemySession(self)

    def index_attributes(self, names: Sequence[str]) -> None:
        """Create the declared attributes' indexes (own transactions only; a host migrates)."""
        bind: Any = self.bind
        if isinstance(bind, sessionmaker):
            bind = bind.kw.get("bind")
        if isinstance(bind, Engine):
            with translated("index host attributes"), bind.begin() as conn:
                for name in names:  # reflection cannot see expression indexes: IF NOT EXISTS
                    conn.execute(CreateIndex(attribute_index(name), if_not_exists=True))

    def _transactions(self) -> Transactions:
        bind = self.bind
        if isinstance(bind, Engine):
            return OwnConnection(bind)
        if isinstance(bind, sessionmaker):
            return OwnSession(bind)
        if isinstance(bind, Session):
            return JoinedSession(bind)
        return JoinedConnection(bind)


class SqlAlchemyStore(Store):
    """A `Store` over SQLAlchemy: its own transactions (Engine, sessionmaker), or the host's.

    With a host `Connection` or `Session`, `on_commit` runs when the host's
    transaction commits, and not at all if it rolls back. For per-request use,
    make one store from the engine or sessionmaker and `bind` each request's
    Session.
    """

    def __init__(
        self,
        bind: Bind,
        *,
        configs: Mapping[type, Any] | None = None,
        upcasters: Upcasters = UPCASTERS,
        on_commit: OnCommit | None = None,
        event_cache: int = 16_384,
        replace_configs: bool = False,
        indexed_attributes: Sequence[str] = (),
    ) -> None:
        backend = SqlAlchemyBackend(bind)
        super().__init__(
            backend,
            configs=configs,
            upcasters=upcasters,
            on_commit=_joined(backend, on_commit),
            event_cache=event_cache,
            replace_configs=replace_configs,
            indexed_attributes=indexed_attributes,
        )
        self._host_on_commit = on_commit

    def bind(self, host: Session | Connection | scoped_session[Any]) -> SqlAlchemyStore:
        """A store whose units of work join `host`'s transaction: one per request.

        Cheap (no connection, no query): it shares this store's configs,
        upcasters and decoded-event cache. Its units of work run in SAVEPOINTs
        of the host's transaction, and their events reach this store's
        `on_commit` when the host's transaction commits. The host's listeners
        are registered once per Session or Connection, however many bindings
        use it, and go with it. A `scoped_session` is bound to its current
        Session.
        """
        if isinstance(host, scoped_session):
            host = host()
        if not isinstance(host, (Session, Connection)):
            raise ValidationError(f"expected a Session or Connection to bind, got {host!r}")
        bound = copy.copy(self)
        bound.backend = backend = SqlAlchemyBackend(host)
        bound.on_commit = _joined(backend, self._host_on_commit)
        return bound


def _joined(backend: SqlAlchemyBackend, on_commit: OnCommit | None) -> OnCommit | None:
    """`on_commit` as the store hands events to it: held for the host's commit when joined."""
    bind = backend.bind
    if on_commit is None or not isinstance(bind, (Session, Connection)):
        return on_commit
    return held_events(bind).holder(on_commit)


expose(__name__, globals(), __all__, source="itil_l2.storage._sqlalchemy_")
