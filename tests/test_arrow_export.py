"""Facts and events as Arrow tables and Parquet files; KPI rows as pandas and polars frames."""

from __future__ import annotations

import math
import sqlite3
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine

import itil_l2.export._arrow as arrow_module
from itil_l2 import Ticket
from itil_l2.cli import main
from itil_l2.errors import ValidationError
from itil_l2.export import (
    EVENT_COLUMNS,
    ExtraNotInstalled,
    facts_table,
    kpi_frame,
    kpi_rows_table,
    read_events,
    read_facts,
    write_parquet,
)
from itil_l2.importers import simulate
from itil_l2.kpis import FACTS_COLUMNS, OutdatedFacts, facts_row, kpi_facts, kpi_table
from itil_l2.storage import SqliteStore
from itil_l2.storage.sql_kpis import sql_kpi_table
from itil_l2.storage.sqlite import NotAnItilDatabase

EPOCH_US = 1_000_000


@pytest.fixture(scope="module")
def tickets() -> list[Ticket]:
    return list(simulate(400, seed=11, per_day=60))


@pytest.fixture(scope="module")
def db(tickets: list[Ticket], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file: the first 150 tickets in tenant "acme", the rest in the default tenant."""
    path = tmp_path_factory.mktemp("arrow") / "desk.sqlite"
    store = SqliteStore(path)
    for tenant, part in (("acme", tickets[:150]), (None, tickets[150:])):
        with store.unit_of_work(tenant) as uow:
            for t in part:
                uow.tickets.add(t)
            uow.commit()
    store.close()
    return path


def expected_facts(tickets: list[Ticket], tenant: str) -> list[dict]:
    return [
        {"tenant": tenant, **dict(zip(FACTS_COLUMNS, facts_row(kpi_facts(t)), strict=True))}
        for t in tickets
    ]


def test_facts_table_holds_the_facts_rows(
    tickets: list[Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(arrow_module, "BATCH", 7)  # several batches, the last one short
    table = facts_table(map(kpi_facts, tickets[:50]), tenant="acme")
    assert table.column_names == ["tenant", *FACTS_COLUMNS]
    assert table.to_pylist() == expected_facts(tickets[:50], "acme")
    assert table.schema.field("end_us").type == pa.int64()
    assert table.schema.field("l2_work_h").type == pa.float64()
    assert facts_table([]).num_rows == 0


def test_read_facts_is_every_stored_row_by_tenant_and_id(tickets: list[Ticket], db: Path) -> None:
    want = sorted(
        expected_facts(tickets[:150], "acme") + expected_facts(tickets[150:], ""),
        key=lambda r: (r["tenant"], r["id"]),
    )
    assert read_facts(db).to_pylist() == want
    assert read_facts(db, tenant="acme").to_pylist() == [r for r in want if r["tenant"] == "acme"]


def test_read_events_is_the_event_log(tickets: list[Ticket], db: Path) -> None:
    table = read_events(db)
    assert table.column_names == list(EVENT_COLUMNS)
    assert table.num_rows == sum(len(t.history) for t in tickets)
    with sqlite3.connect(db) as raw:
        stored = raw.execute(
            "SELECT kind, tenant, id, version, schema, at, type, data FROM itil_events"
            " ORDER BY tenant, kind, id, version"
        ).fetchall()
    got = table.to_pylist()
    assert [r["data"] for r in got] == [s[7] for s in stored]
    by_id = {t.id: t for t in tickets}
    for row in got:
        event = by_id[row["id"]].history[row["version"] - 1]
        assert row["at"] == event.at  # an aware UTC datetime equal to the event's instant
        assert row["kind"] == "ticket"
    acme = read_events(db, tenant="acme")
    assert acme.num_rows == sum(len(t.history) for t in tickets[:150])


def test_write_parquet_writes_what_read_gives(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    paths = write_parquet(db, out)
    assert paths == {"facts": out / "facts.parquet", "events": out / "events.parquet"}
    assert pq.read_table(paths["facts"]).equals(read_facts(db))
    assert pq.read_table(paths["events"]).equals(read_events(db))
    assert sorted(p.name for p in out.iterdir()) == ["events.parquet", "facts.parquet"]
    paths["facts"].write_text("an older export")
    write_parquet(db, out)  # replaced
    assert pq.read_table(paths["facts"]).num_rows == read_facts(db).num_rows


def _copy(db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.sqlite"
    with sqlite3.connect(db) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE itil_kpi_facts SET facts_version = facts_version + 1 WHERE id = 'SIM-000007'",
        "DELETE FROM itil_kpi_facts WHERE id = 'SIM-000200'",
        "DROP TABLE itil_kpi_facts",
    ],
)
def test_stale_or_missing_facts_are_refused(
    db: Path, tmp_path: Path, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = _copy(db, tmp_path)
    with sqlite3.connect(copy) as raw:
        raw.execute(damage)
    with pytest.raises(OutdatedFacts, match="rebuild-facts"):
        read_facts(copy)
    out = tmp_path / "out"
    with pytest.raises(OutdatedFacts):
        write_parquet(copy, out)
    assert not out.exists()  # nothing written: the folder the call made is removed again
    assert main(["export", "--parquet", str(out), "--db", str(copy)]) == 1
    assert "rebuild-facts" in capsys.readouterr().err
    assert read_events(copy).num_rows > 0  # the events are still readable


def test_other_files_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as raw:
        raw.execute("CREATE TABLE t (x)")
    with pytest.raises(NotAnItilDatabase):
        read_facts(other)
    assert main(["export", "--parquet", str(tmp_path / "o"), "--db", str(tmp_path / "no")]) == 2


def test_the_export_command(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--parquet", str(tmp_path / "x"), "--db", str(db)]) == 0
    printed = capsys.readouterr().out
    assert "facts.parquet" in printed and "events.parquet" in printed
    assert pq.read_table(tmp_path / "x" / "facts.parquet").num_rows == 400


def test_missing_pyarrow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.setitem(sys.modules, name, None)  # import pyarrow raises ImportError
    with pytest.raises(ExtraNotInstalled, match=r"itil-l2\[arrow\]"):
        facts_table([])
    with pytest.raises(ExtraNotInstalled, match=r"itil-l2\[arrow\]"):
        kpi_rows_table([])


def test_missing_frame_library_is_named(
    tickets: list[Ticket], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = kpi_table(tickets[:20], by=["tier"], metrics=["resolution_rate"])
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ExtraNotInstalled, match="polars"):
        kpi_frame(rows, "polars")


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


@pytest.mark.parametrize("library", ["pandas", "polars"])
def test_kpi_frames_hold_the_flat_rows(tickets: list[Ticket], db: Path, library: str) -> None:
    rows = kpi_table(tickets, by=["tier", "month"])
    frame = kpi_frame(rows, library)  # type: ignore[arg-type]
    records = frame.to_dict("records") if library == "pandas" else frame.to_dicts()
    flat = [r.flat() for r in rows]
    assert len(records) == len(flat)
    for got, want in zip(records, flat, strict=True):
        assert list(got) == list(want)
        for name, value in want.items():
            expected = float("nan") if value is None and library == "pandas" else value
            assert _same(got[name], expected), (name, got[name], value)
    sql_rows = sql_kpi_table(create_engine(f"sqlite:///{db}"), by=["tier"], tenant="acme")
    assert kpi_rows_table(sql_rows).to_pylist() == [r.flat() for r in sql_rows]


def test_kpi_rows_table_of_no_rows_is_empty() -> None:
    assert kpi_rows_table([]).num_rows == 0
    with pytest.raises(ValidationError, match="pandas' or 'polars"):
        kpi_frame([], "excel")  # type: ignore[arg-type]
