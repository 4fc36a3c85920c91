"""The SQLAlchemy adapter joins the host's own transaction and exposes its tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from itil_l2 import SYSTEM, ConcurrencyError, ValidationError
from itil_l2.errors import StorageError, TransactionNotJoinable
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, enable_sqlite_savepoints, metadata
from itil_l2.testing import example_ticket
from test_storage_contract import postgres_url

host_metadata = MetaData()
audit = Table(
    "host_audit", host_metadata, Column("id", Integer, primary_key=True), Column("what", String(80))
)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = enable_sqlite_savepoints(create_engine(f"sqlite:///{tmp_path / 'host.sqlite'}"))
    else:
        made = create_engine(postgres_url())  # type: ignore[arg-type]
    for meta in (metadata, host_metadata):
        meta.drop_all(made)
        meta.create_all(made)
    yield made
    made.dispose()


def counts(engine: Engine) -> tuple[int, int]:
    """(host rows, stored tickets) as a fresh connection sees them."""
    with engine.connect() as conn:
        host = len(conn.execute(select(audit)).all())
    with SqlAlchemyStore(engine).unit_of_work() as uow:
        return host, uow.tickets.count()


def test_metadata_names_the_library_tables_for_alembic() -> None:
    assert set(metadata.tables) == {
        "itil_heads",
        "itil_events",
        "itil_cis",
        "itil_positions",
        "itil_configs",
        "itil_kpi_facts",
    }


def test_host_session_commit_covers_both_and_delivers_events_after_it(engine: Engine) -> None:
    delivered: list[tuple[Any, ...]] = []
    with Session(engine) as session:
        store = SqlAlchemyStore(session, on_commit=delivered.append)
        session.execute(audit.insert().values(what="ticket logged"))
        with store.unit_of_work() as uow:
            uow.tickets.add(example_ticket())
            uow.commit()
        assert delivered == []  # the host has not committed yet
        assert counts(engine) == (0, 0)  # nor can anyone else see it
        session.commit()
    assert len(delivered) == 1 and len(delivered[0]) == 3
    assert counts(engine) == (1, 1)


def test_host_rollback_undoes_the_library_writes_too(engine: Engine) -> None:
    delivered: list[tuple[Any, ...]] = []
    with Session(engine) as session:
        store = SqlAlchemyStore(session, on_commit=delivered.append)
        session.execute(audit.insert().values(what="ticket logged"))
        with store.unit_of_work() as uow:
            uow.tickets.add(example_ticket())
            uow.commit()
        session.rollback()
    assert delivered == []
    assert counts(engine) == (0, 0)


def test_unit_of_work_rollback_keeps_the_host_work(engine: Engine) -> None:
    with engine.connect() as conn:
        store = SqlAlchemyStore(conn)
        conn.execute(audit.insert().values(what="kept"))
        with store.unit_of_work() as uow:
            uow.tickets.add(example_ticket())  # no commit: rolled back to the savepoint
        conn.commit()
    assert counts(engine) == (1, 0)


def test_host_connection_commit_delivers_events(engine: Engine) -> None:
    delivered: list[tuple[Any, ...]] = []
    with engine.connect() as conn:
        store = SqlAlchemyStore(conn, on_commit=delivered.append)
        with store.unit_of_work() as uow:
            uow.tickets.add(example_ticket())
            uow.commit()
        assert delivered == []
        conn.commit()
    assert [len(batch) for batch in delivered] == [3]
    assert counts(engine) == (0, 1)


def test_bind_must_be_sqlalchemy() -> None:
    with pytest.raises(ValidationError):
        SqlAlchemyStore("sqlite://")  # type: ignore[arg-type]


def test_stored_events_cannot_be_rewritten(engine: Engine) -> None:
    with SqlAlchemyStore(engine).unit_of_work() as uow:
        uow.tickets.add(example_ticket())
        uow.commit()
    with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text("UPDATE itil_events SET data = '{}'"))


def test_sqlite_without_the_recipe_is_refused_under_a_host(tmp_path: Path) -> None:
    legacy = create_engine(f"sqlite:///{tmp_path / 'legacy.sqlite'}")
    for meta in (metadata, host_metadata):
        meta.create_all(legacy)
    with (
        Session(legacy) as session,
        pytest.raises(TransactionNotJoinable, match="enable_sqlite_savepoints"),
        SqlAlchemyStore(session).unit_of_work() as uow,
    ):
        uow.tickets.count()
    with (
        legacy.connect() as conn,
        pytest.raises(TransactionNotJoinable),
        SqlAlchemyStore(conn).unit_of_work() as uow,
    ):
        uow.tickets.add(example_ticket())
    with SqlAlchemyStore(legacy).unit_of_work() as uow:  # its own transactions need no recipe
        uow.tickets.add(example_ticket())
        uow.commit()
    assert counts(legacy) == (0, 1)


def test_recipe_applied_after_a_connection_was_pooled(tmp_path: Path) -> None:
    made = create_engine(f"sqlite:///{tmp_path / 'late.sqlite'}")
    for meta in (metadata, host_metadata):
        meta.create_all(made)  # the pool now holds a connection in pysqlite's default mode
    enable_sqlite_savepoints(enable_sqlite_savepoints(made))  # twice: applied once
    with Session(made) as session:
        with SqlAlchemyStore(session).unit_of_work() as uow:
            uow.tickets.add(example_ticket())
            uow.commit()
        session.rollback()
    assert counts(made) == (0, 0)


@pytest.mark.parametrize("kind", ["session", "connection"])
def test_host_savepoints_decide_the_events_of_units_of_work_inside_them(
    engine: Engine, kind: str
) -> None:
    delivered: list[tuple[Any, ...]] = []
    with Session(engine) if kind == "session" else engine.connect() as host:
        store = SqlAlchemyStore(host, on_commit=delivered.append)
        kept = host.begin_nested()
        with store.unit_of_work() as uow:
            uow.tickets.add(example_ticket())
            uow.commit()
        kept.commit()
        dropped = host.begin_nested()
        with store.unit_of_work() as uow:
            ticket = uow.tickets.get("INC-EXAMPLE")
            ticket.add_note("undone", at=ticket.updated_at + timedelta(minutes=1), actor=SYSTEM)
            uow.tickets.save(ticket)
            uow.commit()
        dropped.rollback()
        assert delivered == []
        host.commit()
    assert [len(batch) for batch in delivered] == [3]
    with SqlAlchemyStore(engine).unit_of_work() as uow:
        assert uow.tickets.get("INC-EXAMPLE").version == 3


def test_bind_is_cheap_and_shares_the_store(engine: Engine) -> None:
    delivered: list[tuple[Any, ...]] = []
    config = object()
    store = SqlAlchemyStore(sessionmaker(engine), configs={str: config}, on_commit=delivered.append)
    with Session(engine) as session:
        bindings = [store.bind(session) for _ in range(3)]
        assert all(b.configs is store.configs and b._event is store._event for b in bindings)
        assert len(session.dispatch.after_commit) == 1  # listeners once per Session
        for number, bound in enumerate(bindings):
            with bound.unit_of_work(tenant=f"t{number}") as uow:
                uow.tickets.add(example_ticket())
                uow.commit()
        assert delivered == []
        session.commit()
    assert [len(batch) for batch in delivered] == [3, 3, 3]
    with store.unit_of_work(tenant="t2") as uow:  # the sessionmaker store: its own transactions
        assert uow.tickets.count() == 1
    with pytest.raises(ValidationError):
        store.bind(engine)  # type: ignore[arg-type]


def test_bind_resolves_a_scoped_session(engine: Engine) -> None:
    scoped = scoped_session(sessionmaker(engine))
    bound = SqlAlchemyStore(engine).bind(scoped)
    assert bound.backend.bind is scoped()  # type: ignore[attr-defined]
    scoped.remove()


def test_driver_errors_become_storage_errors(tmp_path: Path) -> None:
    empty = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with SqlAlchemyStore(empty).unit_of_work() as uow, pytest.raises(StorageError) as caught:
        uow.tickets.get("INC-EXAMPLE")
    assert isinstance(caught.value.__cause__, DBAPIError)
    assert "no such table" in str(caught.value)


def test_sqlite_busy_is_a_concurrency_error(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite"
    made = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    metadata.create_all(made)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with SqlAlchemyStore(made).unit_of_work() as uow, pytest.raises(ConcurrencyError) as caught:
            uow.tickets.add(example_ticket())
        assert isinstance(caught.value.__cause__, DBAPIError)
    finally:
        holder.rollback()
        holder.close()
        made.dispose()


def test_postgres_serialization_failure_is_a_concurrency_error() -> None:
    made = create_engine(postgres_url(), isolation_level="REPEATABLE READ")  # type: ignore[arg-type]
    try:
        metadata.drop_all(made)
        metadata.create_all(made)
        store = SqlAlchemyStore(made)
        with store.unit_of_work() as uow:
            uow.tickets.add(example_ticket())
            uow.commit()
        with store.unit_of_work() as mine, store.unit_of_work() as theirs:
            ticket = mine.tickets.get("INC-EXAMPLE")  # mine's snapshot starts here
            other = theirs.tickets.get("INC-EXAMPLE")
            other.add_note("first", at=other.updated_at + timedelta(minutes=1), actor=SYSTEM)
            theirs.tickets.save(other)
            theirs.commit()
            ticket.add_note("second", at=ticket.updated_at + timedelta(minutes=2), actor=SYSTEM)
            with pytest.raises(ConcurrencyError, match="could not serialize"):
                mine.tickets.save(ticket)
    finally:
        metadata.drop_all(made)
        made.dispose()
