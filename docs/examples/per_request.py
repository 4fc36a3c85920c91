"""Per-request use (FastAPI/Flask style): one store for the application, one binding per request.

The application makes its engine, its `sessionmaker` and one `SqlAlchemyStore`
at startup. Each request gets its own Session and transaction (what a FastAPI
dependency with `yield`, or Flask's request teardown, provides); the handler
binds the store to that Session, so the library's rows and the helpdesk's own
commit or roll back together, and notifications go out only after the commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert
from sqlalchemy.orm import Session, sessionmaker

from itil_l2 import SYSTEM
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, enable_sqlite_savepoints, metadata

helpdesk_tables = MetaData()
comments = Table(
    "helpdesk_comment",
    helpdesk_tables,
    Column("id", Integer, primary_key=True),
    Column("ticket", String(200), nullable=False),
    Column("text", String(2000), nullable=False),
)


class Helpdesk:
    """The application, made once at startup."""

    def __init__(self, url: str) -> None:
        # On SQLite, savepoints that nest in the request's transaction (a no-op elsewhere).
        self.engine = enable_sqlite_savepoints(create_engine(url))
        self.sessions = sessionmaker(self.engine)
        self.sent: list[tuple[Any, ...]] = []  # stands in for a mail or chat notifier
        self.store = SqlAlchemyStore(self.sessions, on_commit=self.sent.append)

    def create_tables(self) -> None:
        """Done by the host's migrations in real life (Alembic: both metadatas)."""
        metadata.create_all(self.engine)
        helpdesk_tables.create_all(self.engine)

    @contextmanager
    def request(self) -> Iterator[Session]:
        """One Session and one transaction per request: committed if the handler returns."""
        with self.sessions() as session, session.begin():
            yield session


def post_comment(app: Helpdesk, session: Session, ticket_id: str, text: str) -> dict[str, Any]:
    """`POST /tickets/{ticket_id}/comments`: a note on the ticket and the helpdesk's own row."""
    store = app.store.bind(session)  # cheap: no connection, no query, listeners once per Session
    with store.unit_of_work() as uow:
        ticket = uow.tickets.get(ticket_id)
        ticket.add_note(text, at=ticket.updated_at + timedelta(minutes=5), actor=SYSTEM)
        uow.tickets.save(ticket)
        uow.commit()  # a SAVEPOINT released: durable when the request's transaction commits
    session.execute(insert(comments).values(ticket=ticket_id, text=text))
    return {"ticket": ticket_id, "version": ticket.version}
