"""`Store.fill_views()`: a SQLAlchemy database migrated to the view columns gets its views.

A host adds the four columns in a migration; until `fill_views()` runs, the
rows written before hold NULL there: lists replay them, filters on the new
columns do not see them. After it, each row holds the replayed entity's view.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from itil_l2 import Query
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.testing import example_article, example_problem, example_ticket
from itil_l2.views import view_of
from test_storage_contract import postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Any]:
    url = "sqlite://" if request.param == "sqlite" else postgres_url()
    engine = create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


def _forget_views(engine: Any) -> None:
    """What a migration adding the columns leaves: NULL in every row written before."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE itil_heads SET view = NULL, assignee = NULL, caller = NULL, title_key = NULL"
            )
        )


def test_fill_views_stores_every_replayed_view_once(engine: Any) -> None:
    store = SqlAlchemyStore(engine)
    for tenant in (None, "acme"):
        with store.unit_of_work(tenant) as uow:
            uow.tickets.add(example_ticket())
            uow.problems.add(example_problem())
            uow.articles.add(example_article())
            uow.commit()
    _forget_views(engine)
    with store.unit_of_work("acme") as uow:
        assert uow.tickets.count(Query(title_contains="printer")) == 0  # not seen before
        listed = uow.tickets.list().items  # but listed, by replay
        assert listed == (view_of(uow.tickets.get("INC-EXAMPLE")),)
    assert store.fill_views() == 6
    assert store.fill_views() == 0  # nothing left
    for tenant in (None, "acme"):
        with store.unit_of_work(tenant) as uow:
            assert uow.tickets.count(Query(title_contains="PRINTER")) == 1
            for repo, id in (
                (uow.tickets, "INC-EXAMPLE"),
                (uow.problems, "PRB-EXAMPLE"),
                (uow.articles, example_article().id),
            ):
                assert repo.list().items == (view_of(repo.get(id)),)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM itil_heads WHERE view IS NULL")).scalar() == 0
        )
