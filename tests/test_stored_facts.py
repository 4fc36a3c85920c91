"""KPI facts stored beside the events, on every adapter (`FactsChecks`), and under attack.

The contract runs on the memory store, SQLite (a file and `:memory:`),
SQLAlchemy on SQLite and, where `ITIL_L2_POSTGRES_URL` is set, PostgreSQL.
The rest edits rows below the library, as a database edit would: an
outdated or missing facts row is never read, a malformed one is corrupt,
`rebuild-facts` repairs them; a schema-6 file gets its facts on its first
writable opening; a failed commit leaves no facts row behind.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from itil_l2 import Tier
from itil_l2.cli import main
from itil_l2.errors import CorruptHistory, StorageError
from itil_l2.importers import simulate
from itil_l2.kpis import (
    FACTS_VERSION,
    OutdatedFacts,
    facts_row,
    kpi_facts,
    kpi_table,
)
from itil_l2.kpis._time import (
    resolution_time_metric,
    response_time_metric,
    tier_time_metric,
    time_to_restore_metric,
)
from itil_l2.storage import MemoryStore, SqliteStore, Store, stored_facts
from itil_l2.storage.sqlalchemy import SqlAlchemyStore, metadata
from itil_l2.testing import FactsChecks, tickets
from itil_l2.testing._tickets import fresh_ticket
from itil_l2.tickets import Ticket
from sql_facts import copy_facts_row
from test_storage_contract import postgres_url


class TestMemoryFacts(FactsChecks):
    @pytest.fixture
    def store(self) -> Store:
        return MemoryStore()


class TestSqliteFileFacts(FactsChecks):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        store = SqliteStore(tmp_path / "facts.sqlite")
        yield store
        store.close()


class TestSqliteInMemoryFacts(FactsChecks):
    @pytest.fixture
    def store(self) -> Iterator[Store]:
        store = SqliteStore(":memory:")
        yield store
        store.close()


class TestSqlAlchemySqliteFacts(FactsChecks):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        engine = create_engine(f"sqlite:///{tmp_path / 'sa.sqlite'}")
        metadata.create_all(engine)
        yield SqlAlchemyStore(engine)
        engine.dispose()


class TestPostgresFacts(FactsChecks):
    @pytest.fixture
    def store(self) -> Iterator[Store]:
        engine = create_engine(postgres_url())  # type: ignore[arg-type]
        metadata.drop_all(engine)
        metadata.create_all(engine)
        yield SqlAlchemyStore(engine)
        engine.dispose()


# -- rows edited below the library (SQLite) ---------------------------------------


def _stored(path: Path, n: int = 30) -> list[str]:
    """A database of `n` simulated tickets; their ids."""
    store = SqliteStore(path)
    made = list(simulate(n, seed=7))
    with store.unit_of_work() as uow:
        for ticket in made:
            uow.tickets.add(ticket)
        uow.commit()
    store.close()
    return [t.id for t in made]


def _sql(path: Path, statement: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(statement)
    conn.close()


def _same_as_replayed(path: Path) -> int:
    store = SqliteStore(path, read_only=True)
    try:
        with store.unit_of_work() as uow:
            replayed = list(uow.tickets.find())
            stored = list(stored_facts(uow))
        assert [facts_row(f) for f in stored] == [facts_row(kpi_facts(t)) for t in replayed]
        by = ["month", "group"]
        want = [r.flat() for r in kpi_table(replayed, by=by)]  # type: ignore[arg-type]
        assert [r.flat() for r in kpi_table(stored, by=by)] == want
        return len(stored)
    finally:
        store.close()


@pytest.mark.parametrize(
    "edit",
    [
        f"UPDATE itil_kpi_facts SET facts_version = {FACTS_VERSION - 1} WHERE id = 'SIM-000004'",
        f"UPDATE itil_kpi_facts SET facts_version = {FACTS_VERSION + 7}",
        "DELETE FROM itil_kpi_facts WHERE id = 'SIM-000009'",
    ],
)
def test_an_outdated_or_missing_row_is_never_read_and_rebuild_facts_repairs_it(
    tmp_path: Path, edit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "f.sqlite"
    _stored(path)
    _sql(path, edit)
    store = SqliteStore(path, read_only=True)
    with store.unit_of_work() as uow, pytest.raises(OutdatedFacts, match="rebuild-facts"):
        list(stored_facts(uow))
    store.close()
    assert main(["rebuild-facts", "--db", str(path)]) == 0
    assert "30 tickets' KPI facts recomputed" in capsys.readouterr().out
    assert _same_as_replayed(path) == 30


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("detail", "'not json'"),
        ("end_kind", "'lost'"),
        ("id", "'SIM-999999'"),
        ("opened_us", "'x'"),
    ],
)
def test_a_malformed_row_of_the_current_version_is_corrupt(
    tmp_path: Path, column: str, value: str
) -> None:
    path = tmp_path / "f.sqlite"
    _stored(path, 5)
    _sql(path, f"UPDATE itil_kpi_facts SET {column} = {value} WHERE id = 'SIM-000002'")
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        with pytest.raises((CorruptHistory, OutdatedFacts)):
            facts = list(stored_facts(uow))
            for f in facts:  # detail is read when a clocked or coded metric asks
                f.intervals  # noqa: B018
        assert store.rebuild_facts() == 5
    store.close()
    assert _same_as_replayed(path) == 5


def test_a_schema_6_file_gets_its_facts_on_its_first_writable_opening(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _stored(path, 12)
    _sql(path, "DROP TABLE itil_kpi_facts")
    _sql(path, "UPDATE itil_schema SET version = 6")
    reader = SqliteStore(path, read_only=True)  # read-only: never migrated, facts refused
    with reader.unit_of_work() as uow, pytest.raises(OutdatedFacts, match="writable"):
        list(stored_facts(uow))
    reader.close()
    SqliteStore(path).close()
    assert _same_as_replayed(path) == 12


def test_rebuild_facts_refuses_a_file_that_is_not_an_itil_database(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    _sql(other, "CREATE TABLE mine (x INTEGER)")
    assert main(["rebuild-facts", "--db", str(other)]) == 1
    with sqlite3.connect(other) as conn:  # untouched: no itil table was created
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert names == {"mine"}
    assert main(["rebuild-facts", "--db", str(tmp_path / "missing.sqlite")]) == 2


def test_a_failed_commit_leaves_no_facts_row_behind(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite"
    store = SqliteStore(path)
    _sql(
        path, "CREATE TRIGGER no_cis BEFORE INSERT ON itil_cis BEGIN SELECT RAISE(ABORT, 'no'); END"
    )
    with store.unit_of_work() as uow:
        uow.tickets.add(fresh_ticket("INC-F1", ci_refs=["ci-1"]))
        with pytest.raises(StorageError):
            uow.commit()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM itil_kpi_facts").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM itil_heads").fetchone() == (0,)
    conn.close()
    store.close()


def test_a_host_database_without_the_table_writes_on_and_reads_after_a_rebuild(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'host.sqlite'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE itil_kpi_facts"))
    store = SqlAlchemyStore(engine)
    with store.unit_of_work() as uow:
        uow.tickets.add(fresh_ticket("INC-H1"))  # written as before the table existed
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(OutdatedFacts, match="itil_kpi_facts"):
        list(stored_facts(uow))
    metadata.create_all(engine)  # the host's migration
    with store.unit_of_work() as uow, pytest.raises(OutdatedFacts, match="no stored KPI facts"):
        list(stored_facts(uow))
    assert store.rebuild_facts() == 1
    with store.unit_of_work() as uow:
        ticket = uow.tickets.get("INC-H1")
        assert [facts_row(f) for f in stored_facts(uow)] == [facts_row(kpi_facts(ticket))]
    engine.dispose()


# -- the library's own clocked and coded metrics, over stored facts -----------------


class _Halves:
    def between(self, a: datetime, b: datetime) -> timedelta:
        return (b - a) / 2


def _same_tables(made: list[Ticket]) -> None:
    clock = _Halves()
    parts = ("queue", "work", "hold", "total")
    metrics = [
        *(tier_time_metric(t, p, clock=clock) for t in Tier for p in parts),
        time_to_restore_metric("p90", clock, codes={"solved_workaround", "not_solved"}),
        response_time_metric("median", clock),
        resolution_time_metric("mean", clock),
    ]
    store = MemoryStore()
    with store.unit_of_work() as uow:
        for ticket in made:
            uow.tickets.add(ticket)
        uow.commit()
    with store.unit_of_work() as uow:
        stored = list(stored_facts(uow))
    made.sort(key=lambda t: t.id)
    for by in ([], ["tier", "ci"]):
        want = [r.flat() for r in kpi_table(made, by=by, metrics=metrics)]  # type: ignore[arg-type]
        assert [r.flat() for r in kpi_table(stored, by=by, metrics=metrics)] == want


@settings(max_examples=40, deadline=None)
@given(made=st.lists(tickets(max_steps=12), min_size=1, max_size=6, unique_by=lambda t: t.id))
def test_clocked_and_coded_metrics_read_stored_facts_as_they_read_tickets(
    made: list[Ticket],
) -> None:
    _same_tables(made)


def test_clocked_and_coded_metrics_agree_on_simulated_histories() -> None:
    """Realistic histories: holds, escalations, hand-backs, reopens, workarounds."""
    _same_tables(list(simulate(400, seed=3)))


_TEMPLATE: dict[str, tuple[Path, list[str]]] = {}


def _template(folder: Path) -> tuple[Path, list[str]]:
    """One stored database of 12 tickets per session, copied by each example."""
    if "db" not in _TEMPLATE:
        path = folder / "template.sqlite"
        _TEMPLATE["db"] = (path, _stored(path, 12))
    return _TEMPLATE["db"]


@settings(max_examples=40, deadline=None)
@given(
    ghosts=st.lists(
        st.one_of(
            st.sampled_from(["", "A", "SIM-0", "SIM-000004a", "SIM-000011 ", "SIM-9", "\uffff"]),
            st.text(max_size=8),
        ),
        max_size=4,
        unique=True,
    ),
    missing=st.sets(st.integers(0, 11), max_size=2),
    batch_size=st.integers(1, 13),
)
def test_facts_without_a_ticket_are_never_read_and_a_ticket_without_facts_is_outdated(
    tmp_path_factory: pytest.TempPathFactory, ghosts: list[str], missing: set[int], batch_size: int
) -> None:
    """Batches read in the facts table's own order are only used when they hold exactly the
    batch's tickets: rows of no ticket (anywhere among the ids) are never read, and a ticket
    whose row is gone is OutdatedFacts, at every batch size."""
    template, ids = _template(tmp_path_factory.getbasetemp())
    path = tmp_path_factory.mktemp("ghosts") / "f.sqlite"
    path.write_bytes(template.read_bytes())
    with sqlite3.connect(path) as conn:
        for ghost in (g for g in ghosts if g not in ids):
            copy_facts_row(conn, ghost, of=ids[len(ghost) % len(ids)])
        for i in missing:
            conn.execute("DELETE FROM itil_kpi_facts WHERE id = ?", (ids[i],))
    conn.close()
    store = SqliteStore(path, read_only=True)
    try:
        with store.unit_of_work() as uow:
            replayed = list(uow.tickets.find())
            if missing:
                with pytest.raises(OutdatedFacts):
                    list(stored_facts(uow, batch_size=batch_size))
                with pytest.raises(OutdatedFacts):
                    kpi_table(stored_facts(uow, batch_size=batch_size))
                return
            stored = list(stored_facts(uow, batch_size=batch_size))
            table = kpi_table(stored_facts(uow, batch_size=batch_size), by=["group"])
        assert [facts_row(f) for f in stored] == [facts_row(kpi_facts(t)) for t in replayed]
        want = kpi_table(replayed, by=["group"])  # type: ignore[arg-type]
        assert [r.flat() for r in table] == [r.flat() for r in want]
    finally:
        store.close()
