"""Adversarial tests of the Parquet export, `rebuild-facts` and the SQL KPIs.

Promises attacked (docs/cli.md `export --parquet`, `rebuild-facts`; docs/howto-duckdb.md;
docs/kpis.md "Stored facts", "In SQL, and beyond one process"; the project's standards):

- `itil_l2.export` / `itil-l2 export --parquet DIR --db F`: the files hold exactly the
  stored facts rows and the event log; DuckDB over them gives the library's figures; a
  database whose facts are of another version, or that holds tickets without facts, is
  refused before anything is written, naming `itil-l2 rebuild-facts`; the database is only
  read; bad input is a typed `ItilL2Error` (one line, exit 1), never a traceback, and
  nothing is left half-written.
- `store.rebuild_facts()` / `itil-l2 rebuild-facts`: every ticket's facts recomputed by
  replay, one transaction per tenant (a corrupt history: `CorruptHistory`, exit 1, nothing
  of that tenant written; an interrupted rebuild leaves the old facts), idempotent; another
  SQLite file is refused untouched, a missing one is exit 2.
- `sql_kpi_table` on SQLite equals `kpi_table` over the same facts (counts and rates
  exactly, the rest within 1e-9), for every grouping, at year and week edges.

Tests named "Was a bug" failed on 81a6903 (eight bugs of the export, fixed since): each
names the promise it holds and the reproducer.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

import itil_l2.export._parquet as parquet_module
import itil_l2.storage._facts as facts_module
from breaking import cli, run_sql
from itil_l2.cli import main
from itil_l2.errors import CorruptHistory, ItilL2Error, StorageError
from itil_l2.export import EVENT_COLUMNS, read_events, read_facts, write_parquet
from itil_l2.importers import simulate
from itil_l2.kpis import (
    FACTS_COLUMNS,
    KpiFacts,
    OutdatedFacts,
    facts_row,
    kpi_facts,
    kpi_table,
    standard_metrics,
)
from itil_l2.storage import SqliteStore, stored_facts
from itil_l2.storage.sql_kpis import sql_kpi_table
from itil_l2.storage.sqlite import NotAnItilDatabase, StoredRows
from itil_l2.testing import example_printer_ticket, example_problem
from itil_l2.tickets import Ticket
from odd_desks import odd_desks
from sql_facts import assert_same_rows, fill, store_by_tenant

_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_FIRST = "WHERE id = (SELECT min(id) FROM itil_kpi_facts)"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _digest(folder: Path) -> dict[str, str]:
    """Every file of a folder (hidden ones too) by name, with a hash of its bytes."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


_ALL_FACTS = "SELECT tenant, " + ", ".join(FACTS_COLUMNS) + " FROM itil_kpi_facts"


# -- drawn desks (tests/odd_desks.py) --------------------------------------------------------


def _fresh(tmp: pytest.TempPathFactory, desk: dict[str | None, list[Ticket]]) -> Path:
    db = tmp.mktemp("desk") / "desk.sqlite"
    store_by_tenant(db, desk)
    return db


# -- 1. the export: exactly the stored rows, every column and type ---------------------------


@_SETTINGS
@given(odd_desks())
def test_read_facts_and_parquet_are_the_stored_facts_rows_column_by_column(
    tmp_path_factory: pytest.TempPathFactory, desk: dict[str | None, list[Ticket]]
) -> None:
    db = _fresh(tmp_path_factory, desk)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    table = read_facts(db)
    stored = sorted(_rows(db, _ALL_FACTS))
    assert [tuple(r.values()) for r in table.to_pylist()] == stored
    want = []
    store = SqliteStore(db, read_only=True)
    try:
        for tenant in sorted(desk, key=lambda t: t or ""):
            with store.unit_of_work(tenant) as uow:
                want += [(tenant or "", *facts_row(f)) for f in stored_facts(uow)]
            replayed = [(tenant or "", *facts_row(kpi_facts(t))) for t in desk[tenant]]
            assert sorted(replayed) == sorted(r for r in want if r[0] == (tenant or ""))
    finally:
        store.close()
    assert sorted(want) == stored
    out = db.parent / "out"
    written = write_parquet(db, out)
    back = pq.read_table(written["facts"])
    assert back.schema.equals(table.schema) and back.equals(table)
    events = pq.read_table(written["events"])
    assert events.equals(read_events(db))
    raw = _rows(db, "SELECT " + ", ".join(EVENT_COLUMNS) + " FROM itil_events")
    got = [
        (*r[:5], int((r[5] - _EPOCH) / timedelta(microseconds=1)), *r[6:])
        for r in (tuple(x.values()) for x in events.to_pylist())
    ]
    assert sorted(got) == sorted(raw)  # every event, `at` to the microsecond, JSON as stored
    assert events.schema.field("at").type == pa.timestamp("us", tz="UTC")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # read-only
    assert sorted(p.name for p in db.parent.iterdir()) == ["desk.sqlite", "out"]


_DUCK = """
SELECT tenant, end_tier AS tier,
  count(*) FILTER (WHERE end_kind IS NOT NULL) AS ended,
  count(*) FILTER (WHERE end_kind IS NOT NULL AND successful = 1) AS resolved_ok,
  count(*) FILTER (WHERE end_kind = 'resolved') AS resolution_n,
  avg((end_us - opened_us) / 3600000000.0::DOUBLE) FILTER (WHERE end_kind = 'resolved')
      AS resolution_mean,
  count(*) FILTER (WHERE end_kind IS NOT NULL AND tier_mask & 4 <> 0
      AND NOT (group_changes = 0 AND end_group = '(no group)')) AS esc_n,
  count(*) FILTER (WHERE end_kind IS NOT NULL AND tier_mask & 4 <> 0
      AND NOT (group_changes = 0 AND end_group = '(no group)')
      AND escalation_mask & 2048 <> 0) AS esc_hits
FROM read_parquet(?) GROUP BY ALL ORDER BY ALL
"""


@_SETTINGS
@given(odd_desks())
def test_duckdb_over_the_parquet_gives_the_figures_of_the_stored_facts(
    tmp_path_factory: pytest.TempPathFactory, desk: dict[str | None, list[Ticket]]
) -> None:
    db = _fresh(tmp_path_factory, desk)
    written = write_parquet(db, db.parent / "out")
    con = duckdb.connect()
    got = {(r[0], r[1]): r[2:] for r in con.execute(_DUCK, [str(written["facts"])]).fetchall()}
    con.close()
    metrics = ["resolution_rate", "resolution_time", "escalation_rate_l2_l3"]
    store = SqliteStore(db, read_only=True)
    try:
        for tenant in desk:
            with store.unit_of_work(tenant) as uow:
                rows = kpi_table(stored_facts(uow), by=["tier"], metrics=metrics)
            for row in rows:
                ended, ok, n, mean, esc_n, esc_hits = got[tenant or "", row.key["tier"]]
                rate = row.results["resolution_rate"]
                assert (rate.sample_size, rate.numerator) == (ended, ok)
                time = row.results["resolution_time"]
                assert time.sample_size == n
                if n:
                    assert time.value is not None and math.isclose(mean, time.value, rel_tol=1e-9)
                esc = row.results["escalation_rate_l2_l3"]
                assert (esc.sample_size, esc.numerator) == (esc_n, esc_hits)
            assert len(rows) == sum(1 for t, _ in got if t == (tenant or ""))
    finally:
        store.close()


# -- refused input ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("sim") / "desk.sqlite"
    tickets = list(simulate(60, seed=4, per_day=30))
    store_by_tenant(db, {None: tickets[:40], "acme": tickets[40:]})
    return db


def _copy(simulated: Path, tmp_path: Path) -> Path:
    db = tmp_path / "copy.sqlite"
    shutil.copy(simulated, db)
    return db


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE itil_kpi_facts SET facts_version = 0 WHERE tenant = 'acme'",
        "UPDATE itil_kpi_facts SET facts_version = 'one' " + _FIRST,
        "UPDATE itil_kpi_facts SET facts_version = 2 " + _FIRST.replace("min", "max"),
        "DELETE FROM itil_kpi_facts WHERE tenant = ''",
        "DROP TABLE itil_kpi_facts; UPDATE itil_schema SET version = 6",  # before facts
    ],
)
def test_outdated_facts_are_refused_before_anything_is_written(
    simulated: Path, tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _copy(simulated, tmp_path)
    run_sql(db, *damage.split("; "))
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    out = tmp_path / "out"
    out.mkdir()
    (out / "facts.parquet").write_text("an older export")
    code, _, err = cli(capsys, "export", "--parquet", out, "--db", db)
    assert code == 1 and "rebuild-facts" in err and err.count("\n") == 1, err
    assert _digest(out) == {
        "facts.parquet": hashlib.sha256(b"an older export").hexdigest()
    }  # the older file untouched, no part file
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    code, _, err = cli(capsys, "rebuild-facts", "--db", db)
    assert code == 0, err
    code, _, err = cli(capsys, "export", "--parquet", out, "--db", db)
    assert code == 0, err
    assert pq.read_table(out / "facts.parquet").num_rows == 60


@pytest.mark.parametrize(
    ("content", "code_wanted"),
    [
        (b"", 1),  # an empty file is not an itil-l2 database
        (b"garbage, not SQLite at all" * 40, 1),
        (None, 1),  # another SQLite file
    ],
)
def test_files_that_are_not_itil_databases_are_refused_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, code_wanted: int
) -> None:
    db = tmp_path / "other.sqlite"
    if content is None:
        run_sql(db, "CREATE TABLE t (x)", "INSERT INTO t VALUES (1)")
    else:
        db.write_bytes(content)
    before = db.read_bytes()
    for command in (["export", "--parquet", tmp_path / "o"], ["rebuild-facts"]):
        code, _, err = cli(capsys, *command, "--db", db)
        assert code == code_wanted and err.count("\n") == 1, (command, err)
        assert db.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir() if p.name != "o") == ["other.sqlite"]
    if (tmp_path / "o").exists():
        assert list((tmp_path / "o").iterdir()) == []
    with pytest.raises(ItilL2Error):
        read_facts(db)


def test_missing_databases_and_directories_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["export", "--parquet", tmp_path / "o"], ["rebuild-facts"]):
        for db in (tmp_path / "missing.sqlite", tmp_path):
            code, _, err = cli(capsys, *command, "--db", db)
            assert code == 2 and err.count("\n") == 1, err
    assert not (tmp_path / "o").exists()
    assert main(["export", "--db", str(tmp_path / "x")]) == 2  # --parquet is required


def test_a_dir_that_is_a_file_is_one_line_and_the_file_stays(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "not-a-dir"
    target.write_text("keep me")
    for out in (target, target / "below"):
        code, _, err = cli(capsys, "export", "--parquet", out, "--db", simulated)
        assert code in (1, 2) and err.count("\n") == 1, err
    assert target.read_text() == "keep me"


def test_a_problems_only_database_exports_its_events_and_no_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "problems.sqlite"
    store = SqliteStore(db)
    with store.unit_of_work() as uow:
        uow.problems.add(example_problem())
        uow.commit()
    store.close()
    code, _, err = cli(capsys, "export", "--parquet", tmp_path / "o", "--db", db)
    assert code == 0, err
    facts = pq.read_table(tmp_path / "o" / "facts.parquet")
    assert facts.num_rows == 0 and facts.column_names == ["tenant", *FACTS_COLUMNS]
    events = pq.read_table(tmp_path / "o" / "events.parquet")
    assert events.num_rows > 0 and set(events.column("kind").to_pylist()) == {"problem"}


def test_odd_dir_names_are_written_as_named(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "[bold]x[/bold] é\nnew line"
    code, printed, err = cli(capsys, "export", "--parquet", out, "--db", simulated)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["events.parquet", "facts.parquet"]
    assert "[bold]x[/bold]" in printed


def test_a_wal_database_is_exported_without_a_write(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was a bug: the export only reads the database (`_sqlite_open`: "without writing a byte,
    not even a `-wal` or `-shm` file"; `kpi --stored-facts` keeps it).

    Every itil-l2 database is WAL; `sqlite_batches` opens it with plain `mode=ro`, so
    `itil-l2 export` leaves `copy.sqlite-wal` and `copy.sqlite-shm` beside it (and on a
    read-only folder could not open it at all).
    """
    db = _copy(simulated, tmp_path)
    ((mode,),) = _rows(db, "PRAGMA journal_mode")
    assert mode == "wal"
    before = (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns)
    names = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = cli(capsys, "export", "--parquet", tmp_path / "o", "--db", db)
    assert code == 0, err
    assert (hashlib.sha256(db.read_bytes()).hexdigest(), db.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "o") == names


def test_an_existing_export_is_replaced_and_other_files_kept(
    simulated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "events.parquet").write_text("older")
    write_parquet(simulated, out)
    write_parquet(simulated, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "events.parquet",
        "facts.parquet",
        "notes.txt",
    ]
    assert (out / "notes.txt").read_text() == "mine"
    assert pq.read_table(out / "events.parquet").equals(read_events(simulated))


def test_one_tenants_export_is_that_tenants_rows(simulated: Path, tmp_path: Path) -> None:
    paths = write_parquet(simulated, tmp_path / "o", tenant="acme")
    facts = pq.read_table(paths["facts"])
    assert set(facts.column("tenant").to_pylist()) == {"acme"} and facts.num_rows == 20
    events = pq.read_table(paths["events"])
    assert set(events.column("tenant").to_pylist()) == {"acme"}


# -- Was a bug: a facts value of the wrong type --------------------------------------------------

_WRONG_TYPES = [
    f"UPDATE itil_kpi_facts SET reopens = 'x' {_FIRST}",
    f"UPDATE itil_kpi_facts SET end_us = 1e300 {_FIRST}",
    f"UPDATE itil_kpi_facts SET l1_work_h = 'soon' {_FIRST}",
    f"UPDATE itil_kpi_facts SET category = x'ff00' {_FIRST}",
]


@pytest.mark.parametrize("damage", _WRONG_TYPES)
def test_a_malformed_facts_row_is_a_typed_one_line_error_not_a_traceback(
    simulated: Path, tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was a bug: standard "bad input is a typed error, in the CLI one line, never a traceback".

    `stored_facts` calls each of these rows `CorruptHistory` (`kpi --stored-facts`: exit 1,
    one line); the export lets pyarrow's `ArrowInvalid` (a `ValueError`) escape: `main`
    raises `pyarrow.lib.ArrowInvalid: Could not convert 'x' with type str: tried to convert
    to int64`, and `DIR/.facts.parquet.part` is left behind.
    """
    db = _copy(simulated, tmp_path)
    run_sql(db, damage)
    with pytest.raises(ItilL2Error):
        read_facts(db)
    out = tmp_path / "out"
    code, _, err = cli(capsys, "export", "--parquet", out, "--db", db)
    assert code == 1 and err.count("\n") == 1, err
    assert not out.exists() or list(out.iterdir()) == []  # no half-written file


@pytest.mark.parametrize(
    ("damage", "column"),
    [
        (f"UPDATE itil_kpi_facts SET tier_mask = 4.5 {_FIRST}", "tier_mask"),
        (f"UPDATE itil_kpi_facts SET successful = 0.5 {_FIRST}", "successful"),
        (f"UPDATE itil_kpi_facts SET reopens = 2.75 {_FIRST}", "reopens"),
    ],
)
def test_a_fractional_integer_is_not_exported_truncated(
    simulated: Path, tmp_path: Path, damage: str, column: str
) -> None:
    """Was a bug: "the Parquet files hold exactly the facts rows".

    SQLite keeps 4.5 in the INTEGER column; `pa.array([4.5], type=pa.int64())` truncates
    it to 4 without a word, so `read_facts`/`write_parquet` export a value that is not the
    stored one (and DuckDB's figures over it are not the database's). Refusing the row
    (a typed error) or exporting it as stored would both keep the promise.
    """
    db = _copy(simulated, tmp_path)
    run_sql(db, damage)
    ((stored,),) = _rows(db, f"SELECT {column} FROM itil_kpi_facts {_FIRST}")
    try:
        table = read_facts(db)
    except ItilL2Error:
        return
    assert table.column(column).to_pylist()[0] == stored


# -- Was a bug: facts that do not belong to the tickets -----------------------------------------


def test_a_ticket_without_facts_is_refused_even_beside_a_ghost_row(
    simulated: Path, tmp_path: Path
) -> None:
    """Was a bug: "a database that holds tickets without facts is refused" (docs/cli.md).

    `_check_facts` compares counts only: delete one ticket's facts row and add a facts row
    of no ticket (same tenant) and the counts match, so `write_parquet` exports
    facts.parquet without that ticket (and with the ghost) instead of `OutdatedFacts`.
    `stored_facts` (per id) refuses the same database.
    """
    db = _copy(simulated, tmp_path)
    cols = ", ".join(FACTS_COLUMNS[1:])
    ghost = f"INSERT INTO itil_kpi_facts SELECT tenant, 'GHOST-1', {cols} FROM itil_kpi_facts"
    run_sql(
        db,
        f"{ghost} {_FIRST}",
        f"DELETE FROM itil_kpi_facts {_FIRST.replace('min', 'max')}",
    )
    store = SqliteStore(db, read_only=True)
    try:  # the ghost is in the default tenant, the ticket without facts in "acme"
        with store.unit_of_work("acme") as uow, pytest.raises(OutdatedFacts):
            kpi_table(stored_facts(uow), metrics=["resolution_rate"])
    finally:
        store.close()
    with pytest.raises(OutdatedFacts, match="rebuild-facts"):
        write_parquet(db, tmp_path / "out")


def test_a_ghost_facts_row_of_a_ticketless_tenant_is_not_outdated_facts(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was a bug: refused only for stale or missing facts, "naming `itil-l2 rebuild-facts`".

    A facts row of a tenant with no ticket (every ticket has current facts) makes the
    export refuse with `OutdatedFacts: of 60 stored tickets, 0 have no KPI facts and 0
    have facts of another version than 1: run itil-l2 rebuild-facts` -- and running that
    command (exit 0) changes nothing: the export is refused for ever. `kpi --stored-facts`
    reads the same file (ghost rows change no figure).
    """
    db = _copy(simulated, tmp_path)
    cols = ", ".join(FACTS_COLUMNS)
    run_sql(db, f"INSERT INTO itil_kpi_facts SELECT 'nobody', {cols} FROM itil_kpi_facts {_FIRST}")
    code, _, err = cli(capsys, "kpi", "--db", db, "--stored-facts")
    assert code == 0, err
    code, _, err = cli(capsys, "rebuild-facts", "--db", db)
    assert code == 0, err
    code, _, err = cli(capsys, "export", "--parquet", tmp_path / "out", "--db", db)
    assert code == 0, err  # fails: exit 1, the same message after the rebuild


# -- Was a bug: a failure midway ------------------------------------------------------------------


def _older_export(simulated: Path, out: Path) -> dict[str, str]:
    write_parquet(simulated, out)
    return _digest(out)


def test_a_malformed_event_leaves_no_half_export(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was a bug: "nothing lost or half-written"; bad input "a typed error, never a traceback".

    An event row whose `at` is not a time (an INSERT: the append-only trigger guards
    UPDATE only) passes the facts check; `write_parquet` renames the new facts.parquet
    into place, then fails on the events with `ArrowTypeError` (a traceback from `main`),
    leaving the older export's events.parquet beside the new facts.parquet and a stray
    `.events.parquet.part`.
    """
    db = _copy(simulated, tmp_path)
    run_sql(
        db,
        "INSERT INTO itil_events (kind, tenant, id, version, schema, at, type, data)"
        " VALUES ('ticket', '', 'SIM-000001', 999, 1, 'not a time', 'x', '{}')",
    )
    out = tmp_path / "out"
    other = tmp_path / "older.sqlite"
    store_by_tenant(other, {None: list(simulate(5, seed=9, per_day=5))})
    before = _older_export(other, out)
    code, _, err = cli(capsys, "export", "--parquet", out, "--db", db)
    assert code == 1 and err.count("\n") == 1, err
    assert _digest(out) == before  # the older export whole, nothing beside it


def test_a_write_that_fails_midway_leaves_the_older_export_whole(
    simulated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was a bug: "nothing lost or half-written" (a disk full while the events are written).

    The facts file is renamed into place before the events are written; an `OSError` while
    writing events.parquet leaves the new facts.parquet, the older events.parquet and
    `.events.parquet.part` in DIR: a mixed pair that DuckDB reads without a word.
    """
    other = tmp_path / "older.sqlite"
    store_by_tenant(other, {None: list(simulate(5, seed=9, per_day=5))})
    out = tmp_path / "out"
    before = _older_export(other, out)
    real = parquet_module._module

    class Failing:
        def __init__(self, module: Any) -> None:
            self.module = module

        def ParquetWriter(self, where: Any, schema: Any) -> Any:  # noqa: N802
            writer = self.module.ParquetWriter(where, schema)
            if "events" in str(where):
                original = writer.write_batch

                def write_batch(batch: Any) -> None:
                    original(batch)
                    raise OSError(28, "No space left on device")

                writer.write_batch = write_batch
            return writer

    monkeypatch.setattr(parquet_module, "_module", lambda *a: Failing(real(*a)))
    with pytest.raises(OSError, match="No space"):
        write_parquet(simulated, out)
    assert _digest(out) == before


def test_a_writer_between_the_two_files_makes_no_mismatched_pair(
    simulated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was a bug: "the Parquet files hold exactly the facts rows and the event log" -- of one
    database state.

    `write_parquet` read the facts and the events through two connections, each its own
    snapshot: a ticket committed by a writer (an import running) after the facts were read
    and before the events landed in events.parquet without its facts row. Now both are read
    in one read transaction: with a writer open (WAL locking) the late ticket is in neither
    file; on a file nobody had open (read immutable) the export fails and writes nothing.
    """
    db = _copy(simulated, tmp_path)
    real = StoredRows.events

    def racing(self: StoredRows) -> Any:  # an import commits after the facts were read
        store_by_tenant(db, {None: [example_printer_ticket(resolved=True)]})
        return real(self)

    monkeypatch.setattr(StoredRows, "events", racing)
    with pytest.raises(StorageError, match="written while it was read"):
        write_parquet(db, tmp_path / "immutable")
    assert not (tmp_path / "immutable").exists()

    again = tmp_path / "again.sqlite"
    shutil.copy(simulated, again)
    db = again
    late = example_printer_ticket(resolved=True).id
    holder = SqliteStore(again)  # a writer holds it open: the export reads through WAL locks
    try:
        paths = write_parquet(again, tmp_path / "out")
    finally:
        holder.close()
    facts = set(pq.read_table(paths["facts"]).column("id").to_pylist())
    events = pq.read_table(paths["events"]).to_pylist()
    assert {e["id"] for e in events if e["kind"] == "ticket"} == facts
    assert late not in facts  # committed after the read began
    assert late in {r[0] for r in _rows(again, "SELECT id FROM itil_kpi_facts")}


# -- 2. rebuild-facts -----------------------------------------------------------------------


@_SETTINGS
@given(odd_desks())
def test_rebuild_facts_is_the_replay_and_idempotent(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    desk: dict[str | None, list[Ticket]],
) -> None:
    db = _fresh(tmp_path_factory, desk)
    written = sorted(_rows(db, _ALL_FACTS))
    run_sql(db, "UPDATE itil_kpi_facts SET facts_version = 0, l1_work_h = 1e9, end_group = 'old'")
    code, out, err = cli(capsys, "rebuild-facts", "--db", db)
    total = sum(len(ts) for ts in desk.values())
    assert code == 0 and out.startswith(f"{total:,} tickets"), err
    once = sorted(_rows(db, _ALL_FACTS))
    assert once == written
    replayed = sorted(
        (tenant or "", *facts_row(kpi_facts(t))) for tenant, ts in desk.items() for t in ts
    )
    assert once == replayed
    digest = hashlib.sha256(repr(once).encode()).hexdigest()
    store = SqliteStore(db)
    try:
        assert store.rebuild_facts() == total
    finally:
        store.close()
    assert hashlib.sha256(repr(sorted(_rows(db, _ALL_FACTS))).encode()).hexdigest() == digest


def test_an_interrupted_rebuild_leaves_the_old_facts(
    simulated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _copy(simulated, tmp_path)
    run_sql(db, "UPDATE itil_kpi_facts SET facts_version = 0")
    old = sorted(_rows(db, _ALL_FACTS))
    calls = {"n": 0}
    real = facts_module.facts_row

    def failing(facts: KpiFacts) -> tuple[Any, ...]:
        calls["n"] += 1
        if calls["n"] == 50:  # the second tenant, after the first one's batches
            raise KeyboardInterrupt
        return real(facts)

    monkeypatch.setattr(facts_module, "facts_row", failing)
    store = SqliteStore(db)
    try:
        with pytest.raises(KeyboardInterrupt):
            facts_module.rebuild_facts(store, batch_size=3)
    finally:
        store.close()
    now = sorted(_rows(db, _ALL_FACTS))
    # tenants are rebuilt in order ("" then "acme"), one transaction each
    assert [r for r in now if r[0] == "acme"] == [r for r in old if r[0] == "acme"]
    assert all(r[2] == 1 for r in now if r[0] == "")
    monkeypatch.undo()
    store = SqliteStore(db)
    try:
        assert store.rebuild_facts() == 60
    finally:
        store.close()


def test_one_corrupt_tenant_leaves_its_facts_and_the_cli_says_one_line(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _copy(simulated, tmp_path)
    run_sql(
        db,
        "UPDATE itil_kpi_facts SET facts_version = 0",
        "DROP TRIGGER itil_events_append_only",
        "UPDATE itil_events SET data = '{\"nope\": 1}' WHERE tenant = 'acme' AND version = 2"
        " AND id = (SELECT min(id) FROM itil_events WHERE tenant = 'acme')",
    )
    old = sorted(_rows(db, _ALL_FACTS))
    code, _, err = cli(capsys, "rebuild-facts", "--db", db)
    assert code == 1 and "CorruptHistory" in err and err.count("\n") == 1, err
    now = sorted(_rows(db, _ALL_FACTS))
    assert [r for r in now if r[0] == "acme"] == [r for r in old if r[0] == "acme"]
    code, _, err = cli(capsys, "export", "--parquet", tmp_path / "o", "--db", db)
    assert code == 1 and "rebuild-facts" in err
    store = SqliteStore(db)
    try:
        with pytest.raises(CorruptHistory):
            store.rebuild_facts()
    finally:
        store.close()


# -- 3. sql_kpi_table against kpi_table, at year and week edges --------------------------------

_SHIFTS = st.sampled_from(
    [
        datetime(2025, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2020, 12, 31, 23, 30, tzinfo=UTC),  # a Thursday of ISO week 53
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # the European DST switch
        datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),  # negative microseconds
        datetime(2000, 2, 29, 12, tzinfo=UTC),
    ]
)
_US = [i for i, c in enumerate(FACTS_COLUMNS) if c.endswith("_us")]


def _shifted(row: tuple[Any, ...], to: datetime, ident: str) -> tuple[Any, ...]:
    """The facts row moved so that it ends (or opens) at `to`, under id `ident`."""
    anchor = row[FACTS_COLUMNS.index("end_us")] or row[FACTS_COLUMNS.index("opened_us")]
    delta = (to - _EPOCH) // timedelta(microseconds=1) - anchor
    out = list(row)
    out[0] = ident
    for i in _US:
        if out[i] is not None:
            out[i] += delta
    return tuple(out)


@_SETTINGS
@given(
    odd_desks(),
    st.lists(_SHIFTS, min_size=1, max_size=8),
    st.lists(
        st.sampled_from(["day", "week", "month", "group", "tier", "category", "priority", "ci"]),
        unique=True,
        max_size=2,
    ),
)
def test_sql_kpis_equal_the_python_engine_at_period_edges(
    desk: dict[str | None, list[Ticket]], shifts: list[datetime], by: list[str]
) -> None:
    made = [t for ts in desk.values() for t in ts]
    rows = [
        _shifted(facts_row(kpi_facts(t)), shifts[i % len(shifts)], f"T{i}")
        for i, t in enumerate(made)
    ]
    facts = [KpiFacts.from_row(r) for r in rows]
    engine = create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            fill(conn, facts, tenant="zürich ✓")
        got = sql_kpi_table(engine, by=by, tenant="zürich ✓")
        assert sql_kpi_table(engine, by=by) == []  # another tenant holds nothing
    finally:
        engine.dispose()
    want = kpi_table(facts, by=by, metrics=list(standard_metrics().values()))
    assert_same_rows(got, want)


def test_sql_kpis_refuse_malformed_ci_json_with_a_typed_error(tmp_path: Path) -> None:
    tickets = list(simulate(10, seed=2, per_day=10))
    engine = create_engine("sqlite://")
    try:
        with engine.begin() as conn:
            fill(conn, tickets)
            conn.exec_driver_sql("UPDATE itil_kpi_facts SET ci_refs = '[' " + _FIRST)
        for by in (["ci"], ["ci", "month"]):
            with pytest.raises(ItilL2Error):
                sql_kpi_table(engine, by=by)
    finally:
        engine.dispose()


def test_not_an_itil_database_is_refused_by_read_events(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    run_sql(other, "CREATE TABLE itil_events (x)")
    with pytest.raises(NotAnItilDatabase):
        read_events(other)
    assert os.path.getsize(other) > 0
