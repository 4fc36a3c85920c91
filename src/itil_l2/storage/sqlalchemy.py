"""The SQLAlchemy 2 adapter (extra `sql`): PostgreSQL, SQLite, anything SQLAlchemy speaks.

`metadata` holds the library's three tables, so a host's Alembic migrations
include them (`target_metadata = [host_metadata, itil_l2.storage.sqlalchemy.metadata]`).

`SqlAlchemyStore` accepts an `Engine` (the store runs its own transactions)
or the host's own `Connection` or ORM `Session`: then every unit of work runs
inside a SAVEPOINT of the host's transaction, so the host's commit covers the
library's writes and its own, a unit of work's rollback undoes only its own
writes, and the events are handed to `on_commit` when the host's transaction
commits (a `Session`'s `after_commit`; a `Connection`'s `commit` event, which
fires as its commit begins).

On PostgreSQL under READ COMMITTED, `UPDATE ... WHERE version = :expected`
waits for a concurrent writer of the same row and then re-checks the version,
so a stale save is a `ConcurrencyError`, never a lost update.

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

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from itil_l2._core.serialization import UPCASTERS, Upcasters
from itil_l2.errors import AlreadyExists, ConcurrencyError, NotFound, ValidationError
from itil_l2.storage._query import Query
from itil_l2.storage._rows import EventRow, Head, Stream
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
from itil_l2.storage._store import OnCommit, Store
from itil_l2.storage._tables import cis, events, heads, metadata

__all__ = ["SqlAlchemyBackend", "SqlAlchemyStore", "cis", "events", "heads", "metadata"]


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
    }


class SqlAlchemySession:
    """One unit of work on one SQLAlchemy connection (own transaction or a SAVEPOINT)."""

    def __init__(self, backend: SqlAlchemyBackend) -> None:
        self._backend = backend
        self._conn = backend._connection()
        self._tx: Any = None

    def _write(self) -> Connection:
        if self._tx is None:
            self._tx = self._backend._begin(self._conn)
        return self._conn

    def load(self, kind: str, tenant: str, id: str) -> Stream | None:
        found = streams(self._conn.execute(LOAD, params(kind, tenant, id)))
        return found.get(id)  # no head row: not stored

    def insert(self, kind: str, tenant: str, head: Head, rows: Sequence[EventRow]) -> None:
        conn = self._write()
        values = {"kind": kind, "tenant": tenant, "id": head.id, **_head_values(head)}
        if not self._insert_new(conn, values):
            raise AlreadyExists(f"{kind} {head.id!r} is already stored")
        self._write_rows(conn, kind, tenant, head, rows)

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
        conn.execute(
            delete(cis).where(cis.c.kind == kind, cis.c.tenant == tenant, cis.c.id == head.id)
        )
        self._write_rows(conn, kind, tenant, head, rows)

    def _write_rows(
        self, conn: Connection, kind: str, tenant: str, head: Head, rows: Sequence[EventRow]
    ) -> None:
        base = {"kind": kind, "tenant": tenant, "id": head.id}
        if rows:
            conn.execute(
                insert(events),
                [
                    {
                        **base,
                        "version": r.version,
                        "schema": r.schema,
                        "at": _utc(r.at),
                        "type": r.type,
                        "data": r.data,
                    }
                    for r in rows
                ],
            )
        if head.ci_refs:
            refs = dict.fromkeys(head.ci_refs)
            conn.execute(insert(cis), [{**base, "ci": ci} for ci in refs])

    def select(
        self, kind: str, tenant: str, query: Query, after: str | None, limit: int
    ) -> list[Stream]:
        where = conditions(kind, tenant, query)
        if after is not None:
            where.append(heads.c.id > after)
        ids = self._conn.execute(page_ids(where, limit)).scalars().all()
        found: dict[str, Stream] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            found.update(streams(self._conn.execute(READ, params(kind, tenant, ids=chunk))))
        return [found[id] for id in ids if id in found]

    def count(self, kind: str, tenant: str, query: Query) -> int:
        statement = select(func.count()).select_from(heads).where(*conditions(kind, tenant, query))
        return int(self._conn.execute(statement).scalar_one())

    def commit(self) -> None:
        if self._tx is not None:
            self._tx.commit()
            self._tx = None
        self._backend._end(self._conn, committed=True)

    def rollback(self) -> None:
        if self._tx is not None:
            self._tx.rollback()
            self._tx = None
        self._backend._end(self._conn, committed=False)

    def close(self) -> None:
        self.rollback()
        self._backend._release(self._conn)


class SqlAlchemyBackend:
    """Rows in the library's tables through an Engine, or inside a host's Connection/Session."""

    def __init__(self, bind: Engine | Connection | Session) -> None:
        if not isinstance(bind, (Engine, Connection, Session)):
            raise ValidationError(f"expected an Engine, Connection or Session, got {bind!r}")
        self.bind = bind

    @property
    def joined(self) -> bool:
        """Whether units of work join the host's transaction (savepoints) rather than own one."""
        return not isinstance(self.bind, Engine)

    def session(self) -> SqlAlchemySession:
        """A new session for one unit of work."""
        return SqlAlchemySession(self)

    def _connection(self) -> Connection:
        if isinstance(self.bind, Engine):
            return self.bind.connect()
        if isinstance(self.bind, Session):
            return self.bind.connection()
        return self.bind

    def _begin(self, conn: Connection) -> Any:
        if isinstance(self.bind, Session):
            return self.bind.begin_nested()
        if isinstance(self.bind, Connection):
            return conn.begin_nested()
        return conn.begin() if not conn.in_transaction() else conn.get_transaction()

    def _end(self, conn: Connection, *, committed: bool) -> None:
        if isinstance(self.bind, Engine) and conn.in_transaction():
            if committed:
                conn.commit()
            else:
                conn.rollback()

    def _release(self, conn: Connection) -> None:
        if isinstance(self.bind, Engine):
            conn.close()


class SqlAlchemyStore(Store):
    """A `Store` over SQLAlchemy: its own transactions on an Engine, or the host's.

    With a host `Connection` or `Session`, `on_commit` runs when the host's
    transaction commits, and not at all if it rolls back.
    """

    def __init__(
        self,
        bind: Engine | Connection | Session,
        *,
        configs: Mapping[type, Any] | None = None,
        upcasters: Upcasters = UPCASTERS,
        on_commit: OnCommit | None = None,
    ) -> None:
        backend = SqlAlchemyBackend(bind)
        deliver = on_commit
        if backend.joined and on_commit is not None:
            deliver = _after_host_commit(bind, on_commit)  # type: ignore[arg-type]
        super().__init__(backend, configs=configs, upcasters=upcasters, on_commit=deliver)


def _after_host_commit(bind: Connection | Session, on_commit: OnCommit) -> OnCommit:
    """Queue each unit of work's events until the host's own transaction commits."""
    queued: list[tuple[Any, ...]] = []

    def flush(*_args: Any) -> None:
        batches, queued[:] = list(queued), []
        for batch in batches:
            on_commit(batch)

    def discard(*_args: Any) -> None:
        queued.clear()

    if isinstance(bind, Session):
        event.listen(bind, "after_commit", flush)
        event.listen(bind, "after_rollback", discard)
    else:
        event.listen(bind, "commit", flush)
        event.listen(bind, "rollback", discard)
    return queued.append
