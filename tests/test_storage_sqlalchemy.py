"""The SQLAlchemy adapter joins the host's own transaction and exposes its tables."""

from __future__ import annotations

from collections.abc import Iterator
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
from sqlalchemy.orm import Session

from itil_l2 import ValidationError
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.testing import example_ticket
from test_storage_contract import postgres_url

host_metadata = MetaData()
audit = Table(
    "host_audit", host_metadata, Column("id", Integer, primary_key=True), Column("what", String(80))
)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = create_engine(f"sqlite:///{tmp_path / 'host.sqlite'}")
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
    assert set(metadata.tables) == {"itil_heads", "itil_events", "itil_cis"}


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
