"""Where a unit of work of the SQLAlchemy adapter runs: its own transaction, or a SAVEPOINT.

One `Transactions` object per unit of work hands out the connection to read
on, starts the write transaction at the first write (`begin`), and ends it:

* `OwnConnection` (an `Engine`) and `OwnSession` (a `sessionmaker`): the
  unit of work's own transaction, committed or rolled back by it.
* `JoinedConnection` and `JoinedSession` (the host's `Connection` or
  `Session`): a SAVEPOINT inside the host's transaction. With a `Session` it
  is `Session.begin_nested()` followed by `Session.connection()`, which is
  what makes the Session emit the SAVEPOINT (it does so lazily, when it next
  hands out its connection); SQL run on a connection fetched earlier would run
  outside it, and the unit of work's rollback would undo nothing.

SQLite needs one thing more under a host's transaction: pysqlite's default
("legacy") transaction handling emits no BEGIN before a SAVEPOINT, so the
SAVEPOINT opens a transaction of its own and its RELEASE commits, out of the
host's reach. `enable_sqlite_savepoints` applies SQLAlchemy's documented
recipe to an engine; a joined connection without it (or Python 3.12's
`autocommit=False`) is refused with `TransactionNotJoinable`.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Connection, Engine, NestedTransaction, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from itil_l2.errors import TransactionNotJoinable
from itil_l2.storage._tables import heads

__all__ = [
    "JoinedConnection",
    "JoinedSession",
    "OwnConnection",
    "OwnSession",
    "Transactions",
    "check_joinable",
    "enable_sqlite_savepoints",
]

_BIND: dict[str, Any] = {"clause": heads}
"""How a Session finds the library's engine (its `binds` may map the tables elsewhere)."""


class Transactions(Protocol):
    """One unit of work's connection and write transaction."""

    def connection(self) -> Connection:
        """The connection to read on (no write transaction needed)."""
        ...

    def begin(self) -> Connection:
        """Start the write transaction (or SAVEPOINT); the connection to write on."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...


class OwnConnection:
    """The unit of work's own transaction on a connection of the store's `Engine`."""

    def __init__(self, engine: Engine) -> None:
        self._conn = engine.connect()

    def connection(self) -> Connection:
        return self._conn

    def begin(self) -> Connection:
        if not self._conn.in_transaction():
            self._conn.begin()
        return self._conn

    def commit(self) -> None:
        self._conn.commit()  # also ends a transaction that reads alone began

    def rollback(self) -> None:
        self._conn.rollback()

    def close(self) -> None:
        self._conn.close()


class OwnSession:
    """The unit of work's own transaction in a new Session of the store's `sessionmaker`."""

    def __init__(self, factory: sessionmaker[Any]) -> None:
        self._session: Session = factory()
        self._conn: Connection = self._session.connection(bind_arguments=_BIND)

    def connection(self) -> Connection:
        return self._conn

    def begin(self) -> Connection:
        return self._conn

    def commit(self) -> None:
        self._session.commit()

    def rollback(self) -> None:
        self._session.rollback()

    def close(self) -> None:
        self._session.close()


class JoinedConnection:
    """A SAVEPOINT in the transaction of the host's `Connection`."""

    def __init__(self, conn: Connection) -> None:
        check_joinable(conn, begun=False)
        self._conn = conn
        self._tx: NestedTransaction | None = None

    def connection(self) -> Connection:
        return self._conn

    def begin(self) -> Connection:
        if not self._conn.in_transaction():
            self._conn.begin()  # what the host's next statement would do (autobegin)
        check_joinable(self._conn, begun=True)
        self._tx = self._conn.begin_nested()
        return self._conn

    def commit(self) -> None:
        tx, self._tx = self._tx, None
        if tx is not None:
            tx.commit()  # refused if the host ended its transaction meanwhile

    def rollback(self) -> None:
        tx, self._tx = self._tx, None
        if tx is not None and tx.is_active:
            tx.rollback()

    def close(self) -> None:
        self.rollback()


class JoinedSession:
    """A SAVEPOINT in the transaction of the host's ORM `Session` (`begin_nested`)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._conn = session.connection(bind_arguments=_BIND)
        check_joinable(self._conn, begun=True)
        self._tx: SessionTransaction | None = None

    def connection(self) -> Connection:
        return self._conn

    def begin(self) -> Connection:
        check_joinable(self._session.connection(bind_arguments=_BIND), begun=True)
        self._tx = self._session.begin_nested()  # flushes the host's pending objects first
        # The Session emits the SAVEPOINT only when it hands out its connection again.
        self._conn = self._session.connection(bind_arguments=_BIND)
        return self._conn

    def commit(self) -> None:
        tx, self._tx = self._tx, None
        if tx is not None:
            tx.commit()

    def rollback(self) -> None:
        tx, self._tx = self._tx, None
        if tx is not None and _open_in(self._session, tx):
            tx.rollback()  # also when a failed flush deactivated it

    def close(self) -> None:
        self.rollback()


def _open_in(session: Session, tx: SessionTransaction) -> bool:
    """Whether `tx` is still one of the Session's open transactions (the host may have ended it)."""
    current = session.get_nested_transaction()
    while current is not None:
        if current is tx:
            return True
        current = current.parent
    return False


_REFUSAL = (
    "this SQLite connection cannot hold a unit of work inside the host's transaction: with"
    " pysqlite's default transaction handling a SAVEPOINT opens a transaction of its own and"
    " its release commits, so the host's rollback could not undo the library's writes. Call"
    " itil_l2.storage.sqlalchemy.enable_sqlite_savepoints(engine) right after create_engine"
    " (or, on Python 3.12+, create_engine(url, connect_args={'autocommit': False}))"
)


def check_joinable(conn: Connection, *, begun: bool) -> None:
    """Refuse a SQLite connection whose SAVEPOINTs would escape the host's transaction.

    `begun`: the host's transaction has begun, so the database must be inside one.
    """
    if conn.dialect.name != "sqlite":
        return
    driver: Any = conn.connection.driver_connection
    autocommit = getattr(driver, "autocommit", None)  # Python 3.12+: True, False or legacy
    legacy = autocommit is not True and autocommit is not False
    if legacy and getattr(driver, "isolation_level", None) is not None:
        raise TransactionNotJoinable(_REFUSAL)
    if begun and not getattr(driver, "in_transaction", True):
        raise TransactionNotJoinable(
            _REFUSAL.replace("this SQLite connection", "this SQLite connection (in autocommit)")
        )


def enable_sqlite_savepoints(engine: Engine) -> Engine:
    """Apply SQLAlchemy's pysqlite transaction recipe to `engine`; return it.

    pysqlite stops emitting BEGIN itself (`isolation_level = None`) and
    SQLAlchemy emits it whenever a transaction begins, so reads are repeatable,
    SAVEPOINTs nest inside the host's transaction and its rollback undoes
    them. A no-op on other databases, on a connection whose driver already
    runs a transaction (Python 3.12's `autocommit=False`) or under the
    `AUTOCOMMIT` isolation level, and when applied twice. Call it right after
    `create_engine`; a connection opened earlier is switched at its next BEGIN.
    """
    if engine.dialect.name == "sqlite" and not event.contains(engine, "begin", _begin):
        event.listen(engine, "connect", _connect)
        event.listen(engine, "begin", _begin)
    return engine


def _connect(dbapi_connection: Any, _record: Any) -> None:
    if getattr(dbapi_connection, "autocommit", None) not in (True, False):
        dbapi_connection.isolation_level = None  # pysqlite emits no BEGIN of its own


def _begin(conn: Connection) -> None:
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    driver: Any = conn.connection.driver_connection
    if getattr(driver, "autocommit", None) is False or getattr(driver, "in_transaction", False):
        return  # the driver has begun a transaction already
    if getattr(driver, "isolation_level", None) is not None:
        driver.isolation_level = None  # made before the recipe; nothing is open to commit
    conn.exec_driver_sql("BEGIN")
