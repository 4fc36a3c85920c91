"""Units of work joined to a host's transaction: the matrix of issue 15, and the per-request example.

{ORM Session, Core Connection} x {SQLite file, PostgreSQL} x seven stories a
host lives through. Each story ends with the host's transaction over; the rows
are then counted with a separate connection (host rows, `itil_heads`,
`itil_events`) and the batches `on_commit` received are compared, exactly.
The SQLite file is in WAL mode with SQLAlchemy's pysqlite recipe applied
(`enable_sqlite_savepoints`), as docs/storage.md asks of a host.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    text,
)
from sqlalchemy.orm import Session

from itil_l2 import SYSTEM, AlreadyExists, ConcurrencyError
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, enable_sqlite_savepoints, metadata
from itil_l2.testing import example_ticket
from itil_l2.testing._tickets import fresh_ticket
from test_storage_contract import postgres_url

sys.path.insert(0, str(Path(__file__).parent.parent / "docs" / "examples"))

import per_request

host_tables = MetaData()
host_log = Table(
    "host_request_log",
    host_tables,
    Column("id", Integer, primary_key=True),
    Column("what", String(80)),
)
Host = Session | Connection
T0 = "INC-EXAMPLE"  # stored before each story, version 3 (3 events)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Engine]:
    made = create_engine(postgres_url())  # type: ignore[arg-type]
    for tables in (metadata, host_tables, per_request.helpdesk_tables):
        tables.drop_all(made)
    for tables in (metadata, host_tables):
        tables.create_all(made)
    yield made
    for tables in (metadata, host_tables, per_request.helpdesk_tables):
        tables.drop_all(made)
    made.dispose()


def sqlite_engine(path: Path) -> Engine:
    with closing(sqlite3.connect(path)) as db:  # the host's choice: readers beside a writer
        db.execute("PRAGMA journal_mode=WAL")
    return enable_sqlite_savepoints(create_engine(f"sqlite:///{path}"))


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        made: Engine = request.getfixturevalue("postgres")
        with made.begin() as conn:
            conn.execute(text("TRUNCATE itil_heads, itil_events, itil_cis, host_request_log"))
        yield made
        return
    made = sqlite_engine(tmp_path / "host.sqlite")
    for tables in (metadata, host_tables):
        tables.create_all(made)
    yield made
    made.dispose()


@dataclass
class World:
    """One backend, one kind of host transaction, and what `on_commit` received."""

    engine: Engine
    kind: str
    delivered: list[tuple[Any, ...]] = field(default_factory=list)

    def host(self) -> Host:
        return Session(self.engine) if self.kind == "session" else self.engine.connect()

    def store(self, host: Host) -> SqlAlchemyStore:
        return SqlAlchemyStore(host, on_commit=self.delivered.append)

    def seed(self) -> None:
        with SqlAlchemyStore(self.engine).unit_of_work() as uow:
            uow.tickets.add(example_ticket())
            uow.commit()

    def counts(self) -> tuple[int, int, int]:
        """(host rows, itil_heads rows, itil_events rows) as a separate connection sees them."""
        with self.engine.connect() as conn:
            return tuple(  # type: ignore[return-value]
                conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("host_request_log", "itil_heads", "itil_events")
            )

    def batches(self) -> list[tuple[str, int]]:
        """Each delivered batch as (the ids it is about, how many events)."""
        return [(",".join(dict.fromkeys(e.entity_id for e in b)), len(b)) for b in self.delivered]


@pytest.fixture(params=["session", "connection"])
def world(request: pytest.FixtureRequest, engine: Engine) -> World:
    return World(engine, request.param)


def log(host: Host) -> None:
    host.execute(host_log.insert().values(what="request"))


def noted(ticket: Any, minutes: int = 5) -> Any:
    ticket.add_note(
        "called the user", at=ticket.updated_at + timedelta(minutes=minutes), actor=SYSTEM
    )
    return ticket


def host_commit(w: World) -> None:
    with w.host() as host:
        store = w.store(host)
        log(host)
        with store.unit_of_work() as uow:
            uow.tickets.add(fresh_ticket("INC-1"))
            uow.commit()
        with store.unit_of_work() as uow:
            uow.tickets.save(noted(uow.tickets.get(T0)))
            uow.commit()
        assert w.delivered == []  # the host has not committed yet
        assert w.counts() == (0, 1, 3)  # nor can anyone else see its work
        host.commit()


def host_rollback(w: World) -> None:
    with w.host() as host:
        store = w.store(host)
        log(host)
        with store.unit_of_work() as uow:
            uow.tickets.add(fresh_ticket("INC-1"))
            uow.commit()
        with store.unit_of_work() as uow:
            uow.tickets.save(noted(uow.tickets.get(T0)))
            uow.commit()
        host.rollback()


def committed_then_host_rollback(w: World) -> None:
    with w.host() as host:
        store = w.store(host)
        log(host)
        with store.unit_of_work() as uow:
            uow.tickets.add(fresh_ticket("INC-1"))
            uow.commit()
        host.rollback()
        # The same Session or Connection, its next transaction: only its own events go out.
        with store.unit_of_work() as uow:
            assert uow.tickets.count() == 1
            uow.tickets.add(fresh_ticket("INC-2"))
            uow.commit()
        host.commit()


def exception_in_unit_of_work(w: World) -> None:
    with w.host() as host:
        store = w.store(host)
        log(host)
        with pytest.raises(RuntimeError), store.unit_of_work() as uow:
            uow.tickets.add(fresh_ticket("INC-1"))
            uow.tickets.save(noted(uow.tickets.get(T0)))
            raise RuntimeError("the handler failed")
        with store.unit_of_work() as uow:  # in the same host transaction: undone
            assert uow.tickets.count() == 1
            assert uow.tickets.get(T0).version == 3
        host.commit()


def explicit_rollback(w: World) -> None:
    with w.host() as host:
        store = w.store(host)
        log(host)
        ticket = fresh_ticket("INC-1")
        with store.unit_of_work() as uow:
            uow.tickets.add(ticket)
            uow.tickets.save(noted(uow.tickets.get(T0)))
            uow.rollback()
        with store.unit_of_work() as uow:
            assert uow.tickets.count() == 1
            uow.tickets.add(ticket)  # rolled back: stored nowhere, free to be added again
            uow.commit()
        host.commit()


def stale_save(w: World) -> None:
    elsewhere: list[tuple[Any, ...]] = []
    with w.host() as host:
        store = w.store(host)
        with store.unit_of_work() as uow:
            mine = uow.tickets.get(T0)
            with SqlAlchemyStore(w.engine, on_commit=elsewhere.append).unit_of_work() as other:
                other.tickets.save(noted(other.tickets.get(T0), minutes=7))
                other.commit()
            with pytest.raises(ConcurrencyError):
                uow.tickets.save(noted(mine))
        host.commit()
    assert [len(batch) for batch in elsewhere] == [1]


def already_exists_then_retry(w: World) -> None:
    with w.host() as host:
        store = w.store(host)
        log(host)
        ticket = fresh_ticket("INC-1")
        with pytest.raises(AlreadyExists), store.unit_of_work() as uow:
            uow.tickets.add(ticket)
            uow.tickets.add(example_ticket())  # T0 is stored
        with store.unit_of_work() as uow:  # the retry, without the duplicate
            uow.tickets.add(ticket)
            uow.commit()
        host.commit()


Story = Callable[[World], None]
MATRIX: dict[str, tuple[Story, tuple[int, int, int], list[tuple[str, int]]]] = {
    # story: (host rows, heads, events), batches delivered  (T0 alone: 1 head, 3 events)
    "host commit": (host_commit, (1, 2, 7), [("INC-1", 3), (T0, 1)]),
    "host rollback": (host_rollback, (0, 1, 3), []),
    "committed, then host rollback": (committed_then_host_rollback, (0, 2, 6), [("INC-2", 3)]),
    "exception in the unit of work": (exception_in_unit_of_work, (1, 1, 3), []),
    "explicit rollback()": (explicit_rollback, (1, 2, 6), [("INC-1", 3)]),
    "stale save": (stale_save, (0, 1, 4), []),
    "AlreadyExists, then retry": (already_exists_then_retry, (1, 2, 6), [("INC-1", 3)]),
}


@pytest.mark.parametrize("story", MATRIX)
def test_joined_unit_of_work(world: World, story: str) -> None:
    run, rows, batches = MATRIX[story]
    world.seed()
    run(world)
    assert world.counts() == rows
    assert world.batches() == batches


def test_per_request_example(engine: Engine) -> None:
    """docs/examples/per_request.py, as docs/storage.md shows it, on this backend."""
    app = per_request.Helpdesk(engine.url.render_as_string(hide_password=False))
    try:
        app.create_tables()
        with app.request() as session, app.store.bind(session).unit_of_work() as uow:
            uow.tickets.add(example_ticket())
            uow.commit()
        with app.request() as session:
            answer = per_request.post_comment(app, session, T0, "called the user")
        assert answer == {"ticket": T0, "version": 4}
        with pytest.raises(TimeoutError), app.request() as session:
            per_request.post_comment(app, session, T0, "called again")
            raise TimeoutError("the mail server did not answer")  # the request fails
        with app.engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM helpdesk_comment")).scalar_one()
        with app.request() as session, app.store.bind(session).unit_of_work() as uow:
            version = uow.tickets.get(T0).version
        assert (stored, version) == (1, 4)
        assert [len(batch) for batch in app.sent] == [3, 1]
    finally:
        per_request.helpdesk_tables.drop_all(app.engine)
        app.engine.dispose()
