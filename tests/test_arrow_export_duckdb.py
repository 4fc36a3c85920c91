"""The DuckDB how-to runs as written: its commands, then its SQL over the exported Parquet.

Each figure the page's queries give equals the library's: `kpi_table` over the
stored tickets (replayed), `sql_kpi_table` in the store's database, and the
`itil-l2 kpi` command the page names. Sample sizes and rates exactly, means
within 1e-9.
"""

from __future__ import annotations

import json
import math
import re
import shlex
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import create_engine

from itil_l2.cli import main
from itil_l2.kpis import kpi_table
from itil_l2.storage import SqliteStore
from itil_l2.storage.sql_kpis import sql_kpi_table

PAGE = Path(__file__).resolve().parent.parent / "docs" / "howto-duckdb.md"


def fences(language: str) -> list[str]:
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where the page's `itil-l2` commands have run (pip lines are skipped)."""
    folder = tmp_path_factory.mktemp("howto")
    (commands,) = fences("bash")
    ran = 0
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        for line in commands.splitlines():
            if line.startswith("itil-l2 "):
                assert main(shlex.split(line)[1:]) == 0, line
                ran += 1
    assert ran == 2
    return folder


def test_the_page_has_two_queries() -> None:
    assert len(fences("sql")) == 2


def test_mean_resolution_time_per_tier(exported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(exported)
    got = duckdb.sql(fences("sql")[0]).fetchall()
    store = SqliteStore(exported / "desk.sqlite", read_only=True)
    with store.unit_of_work() as uow:
        tickets = list(uow.tickets.find())
    store.close()
    rows = kpi_table(tickets, by=["tier"], metrics=["resolution_time"])
    want = [
        (
            r.key["tier"],
            r.results["resolution_time"].sample_size,
            r.results["resolution_time"].value,
        )
        for r in rows
        if r.results["resolution_time"].sample_size
    ]
    assert len(want) >= 2  # more than one tier resolved tickets
    assert [(t, n) for t, n, _ in got] == [(t, n) for t, n, _ in want]
    for (_, _, mean), (_, _, expected) in zip(got, want, strict=True):
        assert math.isclose(mean, expected, rel_tol=1e-9)
    sql_rows = sql_kpi_table(
        create_engine(f"sqlite:///{exported / 'desk.sqlite'}"),
        by=["tier"],
        metrics=["resolution_time"],
    )
    assert [r.results["resolution_time"].sample_size for r in sql_rows] == [
        r.results["resolution_time"].sample_size for r in rows
    ]


def test_escalation_rate_l2_l3(exported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(exported)
    ((rate, n),) = duckdb.sql(fences("sql")[1]).fetchall()
    store = SqliteStore(exported / "desk.sqlite", read_only=True)
    with store.unit_of_work() as uow:
        (row,) = kpi_table(uow.tickets.find(), metrics=["escalation_rate_l2_l3"])
    store.close()
    want = row.results["escalation_rate_l2_l3"]
    assert n == want.sample_size > 0
    assert rate == want.value
    assert 0 < rate < 1


def test_the_kpi_command_prints_the_same_figures(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`itil-l2 kpi --db desk.sqlite --by tier`, as the page says, gives the query's figures."""
    capsys.readouterr()
    assert (
        main(["kpi", "--db", str(exported / "desk.sqlite"), "--by", "tier", "--format", "json"])
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    got = duckdb.sql(fences("sql")[0].replace("'export/", f"'{exported}/export/")).fetchall()
    by_tier = {r["key"]["tier"]: r["kpis"]["resolution_time"] for r in printed}
    for tier, n, mean in got:
        assert by_tier[tier]["n"] == n
        assert math.isclose(by_tier[tier]["value"], mean, rel_tol=1e-9)
    assert main(["kpi", "--db", str(exported / "desk.sqlite"), "--format", "json"]) == 0
    (overall,) = json.loads(capsys.readouterr().out)
    ((rate, n),) = duckdb.sql(
        fences("sql")[1].replace("'export/", f"'{exported}/export/")
    ).fetchall()
    assert overall["kpis"]["escalation_rate_l2_l3"]["n"] == n
    assert overall["kpis"]["escalation_rate_l2_l3"]["value"] == rate
