"""`itil-l2 kpi --db F --stored-facts`: the KPI set from the stored facts, no history replayed.

Its figures are held to the replaying `kpi --db F` (every metric the facts
carry, with the same sample sizes and exclusion counts), on simulated
tickets and on the real ServiceNow log; a forged event proves it reads no
history; outdated facts are refused with the command that fixes them.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from breaking import UNGUARDED, run_sql
from itil_l2.cli import main
from itil_l2.storage import SqliteStore

NEEDS_HISTORY = ("sla_compliance:", "recorded_")
"""The metrics of `kpi` that read a ticket's history or fields: not in the stored facts."""


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> list[dict[str, Any]]:
    code, out, err = cli(capsys, "kpi", "--db", db, "--format", "json", *args)
    assert code == 0, err
    rows: list[dict[str, Any]] = json.loads(out)
    return rows


def _without_history_metrics(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "key": row["key"],
            "kpis": {k: v for k, v in row["kpis"].items() if not k.startswith(NEEDS_HISTORY)},
        }
        for row in rows
    ]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("stored") / "desk.sqlite"
    assert main(["simulate", "--tickets", "1500", "--seed", "11", "--db", str(db)]) == 0
    return db


@pytest.mark.parametrize("by", [[], ["tier", "month"], ["group", "priority"], ["ci"], ["week"]])
def test_stored_facts_give_the_replayed_figures(
    simulated: Path, capsys: pytest.CaptureFixture[str], by: list[str]
) -> None:
    grouping = ["--by", ",".join(by)] if by else []
    replayed = _json(capsys, simulated, *grouping)
    stored = _json(capsys, simulated, "--stored-facts", *grouping)
    assert stored == _without_history_metrics(replayed)
    names = set(stored[0]["kpis"])
    assert set(replayed[0]["kpis"]) - names == {"sla_compliance:resolution"}
    assert {"resolution_time_median", "reopened_tickets", "resolution_rate"} <= names
    if not by:  # the simulation ends with open, cancelled and reopened tickets
        kpis = stored[0]["kpis"]
        assert kpis["resolution_rate"]["excluded"] > 0
        assert kpis["reopened_tickets"]["numerator"] > 0


def test_the_table_names_its_source(simulated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "kpi", "--db", simulated, "--stored-facts")
    assert code == 0
    assert "KPIs of 1,500 tickets" in out and "stored facts" in out
    assert "resolution_time_median" in out and "sla_compliance" not in out


def _forge_first_event(db: Path) -> None:
    """Make one ticket's history unreplayable (a test forging rows, not the library)."""
    run_sql(
        db,
        UNGUARDED,
        "UPDATE itil_events SET data = '{\"nope\": 1}' WHERE kind = 'ticket' AND version = 2"
        " AND id = (SELECT min(id) FROM itil_events WHERE kind = 'ticket')",
    )


def test_no_history_is_replayed(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _json(capsys, simulated, "--stored-facts")
    forged = tmp_path / "forged.sqlite"
    shutil.copy(simulated, forged)
    _forge_first_event(forged)
    code, out, err = cli(capsys, "kpi", "--db", forged)
    assert code == 1 and out == "" and "CorruptHistory" in err  # replay reads every event
    assert _json(capsys, forged, "--stored-facts") == before  # the facts path read none


def test_outdated_facts_are_refused_naming_the_command_that_recomputes_them(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.sqlite"
    shutil.copy(simulated, old)
    with sqlite3.connect(old) as con:
        con.execute(  # one ticket's facts of an older definition
            "UPDATE itil_kpi_facts SET facts_version = facts_version - 1"
            " WHERE id = (SELECT max(id) FROM itil_kpi_facts)"
        )
    con.close()
    code, out, err = cli(capsys, "kpi", "--db", old, "--stored-facts")
    assert code == 1 and out == ""
    assert "OutdatedFacts" in err and "rebuild-facts" in err and len(err.splitlines()) == 1
    assert cli(capsys, "rebuild-facts", "--db", old)[0] == 0
    assert _json(capsys, old, "--stored-facts") == _json(capsys, simulated, "--stored-facts")


def test_a_ticket_without_facts_is_refused(
    simulated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lacking = tmp_path / "lacking.sqlite"
    shutil.copy(simulated, lacking)
    with sqlite3.connect(lacking) as con:
        con.execute("DELETE FROM itil_kpi_facts WHERE id = (SELECT min(id) FROM itil_kpi_facts)")
    con.close()
    code, out, err = cli(capsys, "kpi", "--db", lacking, "--stored-facts")
    assert code == 1 and out == "" and "OutdatedFacts" in err


@pytest.mark.parametrize(
    "args",
    [
        ["kpi", "export.csv", "--stored-facts"],
        ["kpi", "--db", "x.sqlite", "--mapping", "m.toml", "--stored-facts"],
    ],
)
def test_stored_facts_need_a_database(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == "" and "--stored-facts" in err and "--db" in err
    assert not list(tmp_path.iterdir())


def test_a_database_without_tickets_has_nothing_to_measure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.sqlite"
    SqliteStore(empty).close()
    code, out, err = cli(capsys, "kpi", "--db", empty, "--stored-facts")
    assert code == 1 and out == "" and "holds no ticket" in err


def test_the_real_log_gives_the_replayed_figures(
    servicenow_log_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "uci.sqlite"
    code, _, err = cli(capsys, "import", servicenow_log_path, "--db", db)
    assert code == 0, err
    for by in ([], ["priority", "month"]):
        grouping = ["--by", ",".join(by)] if by else []
        replayed = _json(capsys, db, *grouping)
        stored = _json(capsys, db, "--stored-facts", *grouping)
        assert stored == _without_history_metrics(replayed)
        assert len(stored[0]["kpis"]) == len(replayed[0]["kpis"]) - 3  # SLA, 2 recorded
