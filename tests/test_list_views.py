"""Stored views under attack: forged rows, old databases, concurrent writers, failed commits.

The contract (`ListChecks` in `itil_l2.testing`) shows every adapter lists the
replayed entities' views. These tests edit the SQL rows below the library, as
a database edit would, and demand that `get` and `find` notice; they open
databases written before views were stored (the 0.1.0 fixture, and a schema
5 file made here by dropping the view columns), writable (views filled once)
and read-only (lists replay, the new filters are refused); they page while
other threads write; and they make a commit fail after the head row was
written. PostgreSQL runs where `ITIL_L2_POSTGRES_URL` is set (required in CI).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from itil_l2 import SYSTEM
from itil_l2.errors import ConcurrencyError, CorruptHistory, StorageError, ValidationError
from itil_l2.storage import Query, SqliteStore, Store
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.testing import example_article, example_problem
from itil_l2.testing._tickets import fresh_ticket
from itil_l2.views import view_of
from support import strip_view_columns
from test_storage_contract import postgres_url

FIXTURE = Path(__file__).parent / "fixtures" / "v0_1_0" / "store.sqlite"
REPOS = ("tickets", "problems", "changes", "articles", "configuration_items")
VIEW_COLUMNS = ("assignee", "caller", "title_key", "view")


Sql = Callable[[str, dict[str, Any]], None]


@pytest.fixture(params=["sqlite", "sqlalchemy-sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Sql]]:
    """A store, and a way to run SQL on its tables below the library."""
    if request.param == "sqlite":
        path = tmp_path / "list.sqlite"
        store = SqliteStore(path, indexed_attributes=("customer",))

        def run(sql: str, params: dict[str, Any]) -> None:
            with sqlite3.connect(path) as conn:
                conn.execute(sql, params)

        yield store, run
        store.close()
        return
    url = f"sqlite:///{tmp_path / 'sa.sqlite'}" if request.param != "postgres" else postgres_url()
    engine = create_engine(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)

    def run_sa(sql: str, params: dict[str, Any]) -> None:
        with engine.begin() as conn:
            conn.execute(text(sql.replace(" view ", ' "view" ')), params)

    yield SqlAlchemyStore(engine, indexed_attributes=("customer",)), run_sa
    engine.dispose()


def _one(store: Store) -> dict[str, Any]:
    ticket = fresh_ticket("INC-1", title="Printer jams", caller="carl")
    ticket.assign_to("ann", at=ticket.updated_at, actor=SYSTEM)
    with store.unit_of_work() as uow:
        uow.tickets.add(ticket)
        uow.commit()
    return dict(view_of(ticket))


def test_a_forged_view_is_corrupt_and_names_the_keys(db: tuple[Store, Sql]) -> None:
    store, sql = db
    view = _one(store)
    forged = json.dumps({**view, "title": "forged", "assignee": "mallory"})
    sql("UPDATE itil_heads SET view = :v WHERE id = 'INC-1'", {"v": forged})
    with store.unit_of_work() as uow:
        with pytest.raises(CorruptHistory, match=r"INC-1.*assignee, title differ"):
            uow.tickets.get("INC-1")
        with pytest.raises(CorruptHistory, match="INC-1"):
            list(uow.tickets.find())
    sql("UPDATE itil_heads SET view = :v WHERE id = 'INC-1'", {"v": "[1, 2]"})  # JSON, not a view
    with store.unit_of_work() as uow, pytest.raises(CorruptHistory, match="unreadable"):
        uow.tickets.get("INC-1")


@pytest.mark.parametrize("nulled", [("assignee", "caller", "title_key"), ("view",), ("caller",)])
def test_view_columns_half_cleared_are_corrupt(db: tuple[Store, Sql], nulled: Any) -> None:
    store, sql = db
    _one(store)
    cleared = ", ".join(f"{column} = NULL" for column in nulled)
    sql(f"UPDATE itil_heads SET {cleared} WHERE id = 'INC-1'", {})
    with store.unit_of_work() as uow, pytest.raises(CorruptHistory, match=nulled[-1]):
        uow.tickets.get("INC-1")


def test_all_view_columns_cleared_is_an_older_row_listed_by_replay(db: tuple[Store, Sql]) -> None:
    store, sql = db
    view = _one(store)
    sql("UPDATE itil_heads SET assignee = NULL, caller = NULL, title_key = NULL, view = NULL", {})
    with store.unit_of_work() as uow:
        assert view_of(uow.tickets.get("INC-1")) == view  # not compared: no view stored
        assert uow.tickets.list().items == (view,)  # replayed, not read


def test_a_forged_filter_column_makes_find_fail_loudly(db: tuple[Store, Sql]) -> None:
    store, sql = db
    _one(store)
    sql("UPDATE itil_heads SET assignee = 'mallory', title_key = 'xyz' WHERE id = 'INC-1'", {})
    with store.unit_of_work() as uow:
        for query in (Query(assignee="mallory"), Query(title_contains="XYZ")):
            with pytest.raises(CorruptHistory, match="INC-1"):
                list(uow.tickets.find(query))
        with pytest.raises(CorruptHistory, match=r"assignee is 'mallory' in the head"):
            uow.tickets.get("INC-1")


def test_paging_while_others_write_lists_each_entity_once(db: tuple[Store, Sql]) -> None:
    store, _ = db
    ids = [f"INC-{n:02}" for n in range(24)]
    with store.unit_of_work() as uow:
        for id in ids:
            uow.tickets.add(fresh_ticket(id))
        uow.commit()
    stop = threading.Event()
    errors: list[BaseException] = []

    written = [0, 0]
    wrote = [threading.Event(), threading.Event()]  # each writer's first commit

    def write(offset: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                with store.unit_of_work() as uow:
                    ticket = uow.tickets.get(ids[(n * 7 + offset) % len(ids)])
                    ticket.add_note(f"w{offset}", at=ticket.updated_at, actor=SYSTEM)
                    uow.tickets.save(ticket)
                    uow.tickets.add(fresh_ticket(f"NEW-{offset}-{n}"))
                    uow.commit()
                written[offset] += 1
                wrote[offset].set()
            except ConcurrencyError:
                continue  # the other writer saved that ticket first
            except Exception as exc:  # any other error fails the test below
                errors.append(exc)
                return

    writers = [threading.Thread(target=write, args=(k,)) for k in range(2)]
    for thread in writers:
        thread.start()
    try:
        for event in wrote:  # both writers are under way before the pages are read
            event.wait(timeout=30)
        for order_by in ("id", "-id", "opened_at", "-opened_at"):
            seen: list[str] = []
            cursor = None
            while True:
                with store.unit_of_work() as uow:  # one request per page, as a web host does
                    page = uow.tickets.list(order_by=order_by, limit=3, cursor=cursor)
                seen += [v["id"] for v in page.items]
                if (cursor := page.next_cursor) is None:
                    break
            assert len(seen) == len(set(seen)), order_by
            assert set(ids) <= set(seen), order_by
    finally:
        stop.set()
        for thread in writers:
            thread.join()
    assert errors == [] and min(written) > 0
    with store.unit_of_work() as uow:
        for view in uow.tickets.list(limit=1000).items:
            assert view == view_of(uow.tickets.get(view["id"]))


def test_a_failed_commit_leaves_no_half_written_view(tmp_path: Path) -> None:
    path = tmp_path / "list.sqlite"
    store = SqliteStore(path)
    view = _one(store)
    with pytest.raises(StorageError), store.unit_of_work() as uow:
        ticket = uow.tickets.get("INC-1")
        with sqlite3.connect(path) as conn:  # meanwhile, an event row orphaned where v5 goes
            conn.execute(
                "INSERT INTO itil_events (kind, tenant, id, version, schema, at, type, data)"
                " SELECT kind, tenant, id, 5, schema, at, type, data FROM itil_events"
                " WHERE id = 'INC-1' AND version = 4"
            )
        ticket.update(title="never stored", at=ticket.updated_at, actor=SYSTEM)
        uow.tickets.save(ticket)  # the head row is written here, the events at commit
        uow.commit()
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM itil_events WHERE id = 'INC-1' AND version = 5")
    with store.unit_of_work() as uow:
        assert uow.tickets.list().items == (view,)
        assert view_of(uow.tickets.get("INC-1")) == view
        assert uow.tickets.count(Query(title_contains="never")) == 0
    store.close()


# -- databases from before views ---------------------------------------------------


def _schema_5(path: Path) -> None:
    """A database as schema 5 left it: no view columns, their indexes gone."""
    store = SqliteStore(path)
    with store.unit_of_work("acme") as uow:
        for n in range(5):
            uow.tickets.add(fresh_ticket(f"INC-{n}", caller=f"c{n}", attributes={"customer": "x"}))
        uow.problems.add(example_problem())
        uow.articles.add(example_article())
        uow.commit()
    store.close()
    strip_view_columns(path)


def _lists_as_replayed(store: SqliteStore, tenant: str | None) -> int:
    """Every kind's list equals the replayed views, in every order; how many were listed."""
    listed = 0
    with store.unit_of_work(tenant) as uow:
        for name in REPOS:
            repo = getattr(uow, name)
            want = sorted((view_of(e) for e in repo.find()), key=lambda v: v["id"])
            for order_by in ("id", "-updated_at"):
                got = repo.list(order_by=order_by, limit=2)
                items = list(got.items)
                while got.next_cursor is not None:
                    got = repo.list(order_by=order_by, limit=2, cursor=got.next_cursor)
                    items += got.items
                assert sorted(items, key=lambda v: v["id"]) == want, (name, order_by)
            listed += len(want)
    return listed


@pytest.mark.parametrize("source", ["v0_1_0", "schema_5"])
def test_an_older_database_read_only_lists_by_replay_and_refuses_new_filters(
    tmp_path: Path, source: str
) -> None:
    path = tmp_path / "old.sqlite"
    if source == "v0_1_0":
        shutil.copy(FIXTURE, path)
    else:
        _schema_5(path)
    before = path.read_bytes()
    store = SqliteStore(path, read_only=True, indexed_attributes=("customer",))
    tenant = None if source == "v0_1_0" else "acme"
    assert _lists_as_replayed(store, tenant) > 0
    with store.unit_of_work(tenant) as uow:
        for query in (
            Query(assignee="ann"),
            Query(caller="c1"),
            Query(title_contains="x"),
            Query(attributes={"customer": "x"}),
        ):
            for call in (uow.tickets.list, uow.tickets.count, lambda q: list(uow.tickets.find(q))):
                with pytest.raises(StorageError, match="open it writable once"):
                    call(query)
        first = uow.tickets.list(limit=1).items[0]
        later = Query(updated_from=uow.tickets.get(first["id"]).updated_at)
        assert first in uow.tickets.list(later, limit=1000).items  # old columns still filter
    store.close()
    assert path.read_bytes() == before


@pytest.mark.parametrize("source", ["v0_1_0", "schema_5"])
def test_an_older_database_opened_writable_gets_its_views_filled(
    tmp_path: Path, source: str
) -> None:
    path = tmp_path / "old.sqlite"
    if source == "v0_1_0":
        shutil.copy(FIXTURE, path)
    else:
        _schema_5(path)
    store = SqliteStore(path, indexed_attributes=("customer",))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM itil_schema").fetchone() == (7,)  # facts: 7
        missing = conn.execute(
            "SELECT count(*) FROM itil_heads WHERE view IS NULL AND kind NOT IN"
            " ('known_error', 'training')"
        ).fetchone()
        entities = conn.execute(
            "SELECT count(*) FROM itil_heads WHERE kind NOT IN ('known_error', 'training')"
        ).fetchone()[0]
    assert missing == (0,)
    tenant = None if source == "v0_1_0" else "acme"
    assert _lists_as_replayed(store, tenant) == entities
    assert store.fill_views() == 0  # nothing left to fill
    with sqlite3.connect(path) as conn:  # rows as schema 5 left them, in a schema 6 file
        conn.execute("UPDATE itil_heads SET assignee = NULL, caller = NULL, title_key = NULL")
        conn.execute("UPDATE itil_heads SET view = NULL")
    assert store.fill_views() == entities
    assert _lists_as_replayed(store, tenant) == entities
    if source == "schema_5":
        with store.unit_of_work("acme") as uow:
            assert [v["id"] for v in uow.tickets.list(Query(caller="c3")).items] == ["INC-3"]
            assert uow.tickets.count(Query(attributes={"customer": "x"})) == 5
            assert uow.tickets.get("INC-3").version == 3
    store.close()


def test_a_unit_of_work_lists_its_own_writes_and_a_later_one_sees_them(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "own.sqlite")
    with store.unit_of_work() as uow:
        ticket = fresh_ticket("INC-1")
        uow.tickets.add(ticket)
        ticket.add_note("more", at=ticket.updated_at + timedelta(minutes=1), actor=SYSTEM)
        uow.tickets.save(ticket)
        assert uow.tickets.list().items == (view_of(ticket),)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.tickets.list().items == (view_of(ticket),)
    store.close()


def test_an_attribute_with_a_nul_character_is_refused_or_stored(db: tuple[Store, Sql]) -> None:
    """Attributes are JSON; PostgreSQL's jsonb has no NUL: refuse it up front or store it."""
    store, _ = db
    try:
        ticket = fresh_ticket("INC-1", attributes={"note": "a\x00b", "customer": "acme"})
    except ValidationError:
        return  # refused where texts with NUL are refused: at the entity
    with store.unit_of_work() as uow:
        uow.tickets.add(ticket)
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.tickets.list(Query(attributes={"customer": "acme"})).items == (view_of(ticket),)
