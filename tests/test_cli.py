"""`itil-l2` through its real entry point (a subprocess), on a database the test wrote."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from itil_l2.storage import SqliteStore
from test_report import PLANS, planned_tickets

CLI = [sys.executable, "-m", "itil_l2.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "helpdesk.sqlite"
    store = SqliteStore(path)
    with store.unit_of_work() as uow:
        for ticket in planned_tickets():
            uow.tickets.add(ticket)
        uow.commit()
    store.close()
    return path


def test_the_installed_script_is_the_same_entry_point() -> None:
    script = Path(sys.executable).with_name("itil-l2")
    result = subprocess.run(
        [str(script), "diagram", "problem"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("---") or "stateDiagram-v2" in result.stdout


@pytest.mark.parametrize("kind", ["ticket", "problem", "change", "knowledge", "ci"])
def test_diagram_prints_each_workflow(kind: str) -> None:
    result = run("diagram", kind)
    assert result.returncode == 0 and "stateDiagram-v2" in result.stdout


def test_diagram_defaults_to_the_ticket_workflow() -> None:
    result = run("diagram")
    assert "L1 --> L2.queued: escalate" in result.stdout


def test_kpi_json_without_grouping_matches_the_plan(db: Path) -> None:
    result = run("kpi", "--db", str(db), "--format", "json")
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    kpis = row["kpis"]
    ended = [p for p in PLANS if p.hours is not None]
    assert row["key"] == {}
    assert kpis["resolution_rate"] == {
        "value": 1.0,
        "n": len(ended),
        "numerator": len(ended),
        "excluded": len(PLANS) - len(ended),
        "unit": "ratio",
    }
    at_l2 = [p for p in ended if p.tier >= 2]
    assert kpis["escalation_rate_l2_l3"]["n"] == len(at_l2)
    assert kpis["escalation_rate_l2_l3"]["numerator"] == sum(p.tier == 3 for p in at_l2)
    recorded = [p.made_sla for p in PLANS if p.made_sla is not None]
    assert kpis["recorded_sla_met"]["value"] == sum(recorded) / len(recorded)
    hours = sorted(p.hours for p in ended)  # type: ignore[type-var]
    assert kpis["resolution_time"]["value"] == pytest.approx(sum(hours) / len(hours))


def test_kpi_csv_by_month_has_one_line_per_month_of_resolution(db: Path) -> None:
    result = run("kpi", "--db", str(db), "--by", "month", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    months: dict[str, int] = {}
    for p in PLANS:
        if p.hours is not None:
            m = (p.opened.replace(day=1)).date().isoformat()
            months[m] = months.get(m, 0) + 1
    by_month = {r["month"]: int(r["resolution_rate_n"]) for r in rows if r["month"] != "(open)"}
    assert by_month == months
    assert "(open)" in {r["month"] for r in rows}  # the open tickets' own group


def test_kpi_table_by_group_and_priority_is_readable(db: Path) -> None:
    result = run("kpi", "--db", str(db), "--by", "group,priority")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for group in ("service-desk", "database-l2", "vendor-l3"):
        assert group in out
    assert "P3" in out and "resolution time" in out and "escalation rate l2 l3" in out


def test_kpi_table_without_grouping_lists_every_kpi(db: Path) -> None:
    result = run("kpi", "--db", str(db))
    assert result.returncode == 0, result.stderr
    for name in ("first_contact_resolution", "sla_compliance:resolution", "l3_hold_time"):
        assert name in result.stdout


def test_report_writes_one_self_contained_file(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run("report", "--db", str(db), "-o", str(out))
    assert result.returncode == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert html.count("<svg") == 5 and f"{len(PLANS)} tickets" in html
    assert str(out) in result.stdout


def _one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("itil-l2"), result.stderr
    assert result.stdout == ""
    return lines[0]


def test_missing_database_is_one_line_and_nothing_is_created(tmp_path: Path) -> None:
    missing = tmp_path / "nope.sqlite"
    line = _one_line_error(run("kpi", "--db", str(missing)), 2)
    assert "database not found" in line and str(missing) in line
    assert not missing.exists()


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all\n" * 100)
    line = _one_line_error(run("kpi", "--db", str(junk)), 1)
    assert "not a database" in line and str(junk) in line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["kpi", "--db", "x.sqlite", "--by", "colour"], "--by"),
        (["kpi", "--db", "x.sqlite", "--by", "group,group"], "--by"),
        (["kpi", "--db", "x.sqlite", "--format", "xml"], "invalid choice"),
        (["kpi"], "required"),
        (["kpi", "--db", "a.sqlite", "b.csv"], "not allowed"),
        (["diagram", "ufo"], "invalid choice"),
        (["simulate", "--tickets", "many"], "invalid int"),
        (["report", "--db", "x.sqlite"], "-o"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_usage_mistakes_are_one_line_with_exit_code_2(args: list[str], needle: str) -> None:
    assert needle in _one_line_error(run(*args), 2)


def test_report_into_a_missing_folder_is_one_line(db: Path, tmp_path: Path) -> None:
    line = _one_line_error(run("report", "--db", str(db), "-o", str(tmp_path / "no/r.html")), 2)
    assert "cannot write" in line


def test_help_exits_zero() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("import", "kpi", "report", "simulate", "diagram"):
        assert command in result.stdout


def _fingerprint(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of `folder`: its bytes and modification time (ns)."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_kpi_and_report_write_nothing_into_an_itil_database(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    copy = folder / db.name
    copy.write_bytes(db.read_bytes())
    before = _fingerprint(folder)
    for args in (
        ["kpi"],
        ["kpi", "--format", "json"],
        ["kpi", "--stored-facts"],
        ["report", "-o", str(tmp_path / "r.html")],
    ):
        result = run(*args, "--db", str(copy))
        assert result.returncode == 0, result.stderr
        assert _fingerprint(folder) == before, args  # same bytes, same mtime, no -wal or -shm


@pytest.mark.parametrize("journal", ["delete", "wal"])
def test_another_applications_database_is_refused_and_left_as_it_was(
    tmp_path: Path, journal: str
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    other = folder / "crm.sqlite"
    con = sqlite3.connect(other)
    con.execute(f"PRAGMA journal_mode = {journal}")
    con.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    con.commit()
    con.close()
    before = _fingerprint(folder)
    for args in (["kpi"], ["report", "-o", str(tmp_path / "r.html")]):
        line = _one_line_error(run(*args, "--db", str(other)), 1)
        assert "not an itil-l2 database" in line and str(other) in line
        assert _fingerprint(folder) == before, args
    assert not (tmp_path / "r.html").exists()
