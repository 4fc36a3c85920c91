"""Problem logs from a mapping file, on the command line: `import --mapping --db`, `kpi --db`.

The log is written by the test in another tool's words (`problem_logs`: a
status + sub-status vocabulary, day-first times at +01:00); every expected
figure is computed here from the rows written, never by the code under test.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import problem_logs as logs
from itil_l2.cli import main
from itil_l2.errors import ValidationError
from itil_l2.importers import ImportMapping, MalformedExport
from itil_l2.problems import Problem
from itil_l2.storage.sqlite import SqliteStore
from test_cli_mapping import EXAMPLES, PAGE, text_block_after

HOUR = timedelta(hours=1)
STATES = "\n".join(f"{json.dumps(raw)} = {json.dumps(token)}" for raw, token in logs.PHASES.items())
MAPPING = f"""\
format = "csv"
entity = "problem"

[columns]
case_id = "SR Number"
timestamp = "Change Date+Time"
activity = "Status"
sub_state = "Sub Status"
group = "Involved ST"
resource = "Owner"

[time]
format = "%d/%m/%Y %H:%M:%S"
zone = "Etc/GMT-1"

[states]
{STATES}
"""


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("itil-l2: error: "), err
    assert "Traceback" not in err
    return lines[0]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def expected(rows: Sequence[logs.Row]) -> dict[str, tuple[float | None, int]]:
    """Each problem KPI's (value, n), from the rows alone."""
    cases = logs.by_case(rows)
    phases = {case: logs.expected_phase(mine) for case, mine in cases.items()}
    ended = [c for c, p in phases.items() if p in ("resolved", "closed")]
    closed = [c for c, p in phases.items() if p == "closed"]
    resolve = [
        (logs.expected_resolved_at(cases[c]) - cases[c][0].at) / HOUR  # type: ignore[operator]
        for c in ended
    ]
    close = [(logs.expected_closed_at(cases[c]) - cases[c][0].at) / HOUR for c in closed]  # type: ignore[operator]
    still_open = sum(p in logs.OPEN_PHASES for p in phases.values())
    return {
        "problem_time_to_resolve": (mean(resolve), len(resolve)),
        "problem_time_to_close": (mean(close), len(close)),
        "problem_backlog": (float(still_open), still_open),
        "known_errors_raised": (0.0, len(cases)),
        "closed_without_rca": (float(len(ended)) if ended else None, len(ended)),
    }


def figures(out: str) -> dict[str, Any]:
    (row,) = json.loads(out)
    assert row["key"] == {}
    return dict(row["kpis"])


def import_and_measure(
    capsys: pytest.CaptureFixture[str], folder: Path, rows: list[logs.Row]
) -> tuple[str, dict[str, Any], Path]:
    log = logs.write(folder / "problems.csv", rows)
    mapping = folder / "problems.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    db = folder / "problems.sqlite"
    code, out, err = cli(capsys, "import", log, "--mapping", mapping, "--db", db)
    assert code == 0, err
    code, kpis, err = cli(capsys, "kpi", "--db", db, "--format", "json")
    assert code == 0, err
    return out, figures(kpis), db


def assert_figures(got: dict[str, Any], rows: list[logs.Row]) -> None:
    for name, (value, n) in expected(rows).items():
        assert got[name]["n"] == n, name
        if value is None:
            assert got[name]["value"] is None, name
        else:
            assert got[name]["value"] == pytest.approx(value, abs=1e-9), name


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=logs.logs(max_problems=8))
def test_a_problem_log_through_import_and_kpi_gives_the_rows_figures(
    capsys: pytest.CaptureFixture[str], rows: list[logs.Row]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        out, got, _ = import_and_measure(capsys, Path(folder), rows)
    n = len(logs.by_case(rows))
    assert f"{len(rows):,} rows read = {len(rows):,} accepted + 0 rejected" in out
    assert f"{n:,} cases, {n:,} problems imported" in out
    assert re.search(rf"import run 1 complete \({n:,} problems written\)", out), out
    assert_figures(got, rows)


def _known_rows() -> list[logs.Row]:
    """Three problems: closed after 30 h, resolved after 10 h, still open; at +01:00."""
    t = logs.START
    r = logs.Row
    return [
        r("P1", t, "new", "Queued", "Awaiting Assignment", "PROD 2nd", "Anne"),
        r("P2", t + HOUR, "new", "Queued", "Awaiting Assignment", "G97 3rd", "Siebel"),
        r("P3", t + 2 * HOUR, "new", "Queued", "Awaiting Assignment", "PROD 2nd", "Anne"),
        r("P2", t + 3 * HOUR, "assess", "Accepted", "Assigned", "G97 3rd", "Siebel"),
        r("P2", t + 11 * HOUR, "resolved", "Completed", "Resolved", "G97 3rd", "Siebel"),
        r("P1", t + 30 * HOUR, "closed", "Completed", "", "PROD 2nd", "Anne"),
    ]


def test_known_figures_and_the_stored_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _known_rows()
    _, got, db = import_and_measure(capsys, tmp_path, rows)
    assert got["problem_time_to_resolve"]["value"] == pytest.approx((30 + 10) / 2)
    assert got["problem_time_to_close"]["value"] == pytest.approx(30)
    assert (got["problem_backlog"]["value"], got["closed_without_rca"]["value"]) == (1.0, 2.0)
    assert_figures(got, rows)
    store = SqliteStore(db, read_only=True)
    try:
        config = store.stored_config(Problem)
        with store.unit_of_work() as uow:
            assert uow.tickets.count() == 0 and uow.problems.count() == 3
    finally:
        store.close()
    assert config is not None and config.allow_close_without_rca
    code, out, _ = cli(capsys, "kpi", "--db", db, "--format", "csv")
    header, line = out.splitlines()
    assert header.split(",")[:4] == [
        "problem_time_to_resolve",
        "problem_time_to_resolve_n",
        "problem_time_to_close",
        "problem_time_to_close_n",
    ]
    assert line.split(",")[:4] == ["20.0", "2", "30.0", "1"]
    code, out, _ = cli(capsys, "kpi", "--db", db)
    assert code == 0 and "problem KPIs of 3 problems" in out and "closed_without_rca" in out
    code, _, err = cli(capsys, "kpi", "--db", db, "--by", "group")
    assert code == 2 and "not grouped" in one_line(err)


def test_kpi_reads_a_problem_log_in_memory_with_its_mapping(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _known_rows()
    log = logs.write(tmp_path / "p.csv", rows)
    mapping = tmp_path / "p.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    code, out, err = cli(capsys, "kpi", log, "--mapping", mapping, "--format", "json")
    assert code == 0, err
    assert_figures(figures(out), rows)
    code, out, err = cli(capsys, "import", log, "--mapping", mapping)
    assert code == 0 and "3 problems imported" in out and "stored in memory" in out


def test_nothing_imported_is_exit_1_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [r for r in _known_rows() if r.case == "P2"]
    log = logs.write(tmp_path / "p.csv", rows)
    mapping = tmp_path / "p.toml"
    mapping.write_text(MAPPING.split("[states]", maxsplit=1)[0] + '[states]\n"Other" = "new"\n')
    db = tmp_path / "p.sqlite"
    code, _, err = cli(capsys, "import", log, "--mapping", mapping, "--db", db)
    line = one_line(err)
    assert code == 1 and f"0 problems imported from {log}" in line
    assert "3 of 3 rows had no mapped status" in line and "[states]" in line
    code, _, err = cli(capsys, "kpi", log, "--mapping", mapping)
    assert code == 1 and "0 problems imported" in one_line(err)
    empty = logs.write(tmp_path / "empty.csv", [])
    code, _, err = cli(capsys, "import", empty, "--mapping", mapping)
    assert code == 1 and "holds no row" in one_line(err)


@pytest.mark.parametrize(
    ("table", "bad_line", "words"),
    [
        ("[states]", '"Accepted/Frozen" = "in_progress"', "is no phase"),
        ("[states]", '"Accepted/Frozen" = "?"', "has no phase yet"),
        ("[workflow]", "allow_tier_skip = true", "is no problem switch"),
        ("[workflow]", 'allow_close_without_rca = "yes"', "is true or false"),
        ("[columns]", 'assignee = "Owner"', "is no problem log column"),
        ("[levels]", '"1 - High" = "high"', "leave [levels] out"),
    ],
)
def test_a_mapping_mistake_names_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], table: str, bad_line: str, words: str
) -> None:
    text = MAPPING
    if table in text:
        text = text.replace(f"{table}\n", f"{table}\n{bad_line}\n")
    else:
        text += f"\n{table}\n{bad_line}\n"
    mapping = tmp_path / "bad.toml"
    mapping.write_text(text, encoding="utf-8")
    number = text.splitlines().index(bad_line) + 1
    log = logs.write(tmp_path / "p.csv", _known_rows())
    code, _, err = cli(capsys, "import", log, "--mapping", mapping, "--db", tmp_path / "x.db")
    line = one_line(err)
    assert code == 1 and f"{mapping}:{number}: " in line and words in line
    assert not (tmp_path / "x.db").exists()
    with pytest.raises(MalformedExport) as caught:
        ImportMapping.load(mapping)
    assert caught.value.line == number


def test_an_xes_problem_mapping_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "x.toml"
    mapping.write_text(MAPPING.replace('format = "csv"', 'format = "xes"'), encoding="utf-8")
    with pytest.raises(MalformedExport, match=r"x\.toml:1: a problem log is read from CSV"):
        ImportMapping.load(mapping)


def test_the_workflow_switches_set_the_problem_config(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING + "\n[workflow]\nfix_needs_root_cause = true\n", encoding="utf-8")
    m = ImportMapping.load(mapping)
    log = logs.write(tmp_path / "p.csv", _known_rows())
    run = m.read_problems(log)
    assert run.config.fix_needs_root_cause and run.config.allow_close_without_rca
    assert sorted(p.id for p in run) == ["P1", "P2", "P3"]
    with pytest.raises(ValidationError, match="maps a problem log: use read_problems"):
        m.read(log)
    off = tmp_path / "off.toml"
    off.write_text(MAPPING + "\n[workflow]\nallow_close_without_rca = false\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="allow_close_without_rca"):
        ImportMapping.load(off).read_problems(log)


def test_a_semicolon_log_with_defaults_and_tiers(tmp_path: Path) -> None:
    """`[csv] delimiter`, `[defaults]` and `[tiers]` mean for problems what they mean for tickets."""
    rows = _known_rows()
    plain = logs.write(tmp_path / "plain.csv", rows).read_text(encoding="utf-8")
    log = tmp_path / "semi.csv"
    log.write_text(plain.replace(",", ";"), encoding="utf-8")
    extra = '\n[csv]\ndelimiter = ";"\n\n[defaults]\nimpact = "high"\nurgency = "low"\n'
    extra += '\n[tiers]\ndefault_tier = "L2"\n[tiers.groups]\n"G97 3rd" = "L3"\n'
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING + extra, encoding="utf-8")
    problems = {p.id: p for p in ImportMapping.load(mapping).read_problems(log)}
    assert sorted(problems) == ["P1", "P2", "P3"]
    assert {(p.impact.value, p.urgency.value) for p in problems.values()} == {("high", "low")}
    assert problems["P2"].group.tier.value == "L3"  # type: ignore[union-attr]
    assert problems["P1"].group.tier.value == "L2"  # type: ignore[union-attr]
    assert problems["P1"].opened_at == datetime(2024, 1, 1, 7, 0, tzinfo=logs.ZONE) + HOUR


# -- the how-to page's "Problem logs" section -------------------------------------------------


def test_the_how_to_problem_example_runs_as_the_page_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = PAGE.read_text(encoding="utf-8")
    section = page[page.index("## Problem logs") : page.index("## From Python")]
    assert '--8<-- "docs/examples/problem_log.csv"' in section
    assert '--8<-- "docs/examples/problem_mapping.toml"' in section
    monkeypatch.chdir(tmp_path)
    for name in ("problem_log.csv", "problem_mapping.toml"):
        Path(name).write_bytes((EXAMPLES / name).read_bytes())
    command = "itil-l2 import problem_log.csv --mapping problem_mapping.toml --db problems.sqlite"
    assert command in section
    code, out, err = cli(capsys, *command.split()[1:])
    assert code == 0, err
    shown = text_block_after(f"{command}\n```\n\n")
    assert out.splitlines()[: len(shown)] == shown
    code, out, err = cli(capsys, "kpi", "--db", "problems.sqlite")
    assert code == 0, err
    assert [line.strip() for line in out.splitlines()] == [
        line.strip() for line in text_block_after("itil-l2 kpi --db problems.sqlite\n```\n\n")
    ]
    # the figures the prose states, from the example's rows: PRB1 opened 02.09 09:00,
    # resolved 03.09 09:00, closed 04.09 09:00; PRB2 open; PRB3 cancelled
    for args in (
        ["--db", "problems.sqlite"],
        ["problem_log.csv", "--mapping", "problem_mapping.toml"],
    ):
        code, out, err = cli(capsys, "kpi", *args, "--format", "json")
        got = figures(out)
        assert code == 0, err
        assert (got["problem_time_to_resolve"]["value"], got["problem_time_to_close"]["value"]) == (
            24.0,
            48.0,
        )
        assert (got["problem_backlog"]["value"], got["closed_without_rca"]["value"]) == (1.0, 1.0)
        assert (got["known_errors_raised"]["value"], got["known_errors_raised"]["n"]) == (0.0, 3)
    code, _, err = cli(capsys, "report", "--db", "problems.sqlite", "-o", "r.html")
    assert code == 1 and "holds no ticket" in one_line(err)
    code, out, err = cli(capsys, *command.split()[1:], "--replace")
    assert code == 0 and "import run 1 complete (3 problems written)" in out, err
    code, _, err = cli(capsys, *command.split()[1:])
    assert code == 2 and "exists" in one_line(err)


def test_case_and_status_are_the_columns_case_id_and_activity(tmp_path: Path) -> None:
    text = MAPPING.replace("case_id =", "case =").replace("activity =", "status =")
    mapping = tmp_path / "m.toml"
    mapping.write_text(text, encoding="utf-8")
    log = logs.write(tmp_path / "p.csv", _known_rows())
    assert sorted(p.id for p in ImportMapping.load(mapping).read_problems(log)) == [
        "P1",
        "P2",
        "P3",
    ]
    both = tmp_path / "both.toml"
    both.write_text(text.replace("[columns]\n", '[columns]\ncase_id = "Owner"\n'), encoding="utf-8")
    with pytest.raises(MalformedExport, match="case is named twice"):
        ImportMapping.load(both)


def test_a_failed_problem_import_resumes_without_storing_a_problem_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run that stopped after its problems were written: `--resume` skips them all."""
    rows = _known_rows()
    _, before, db = import_and_measure(capsys, tmp_path, rows)
    with sqlite3.connect(db) as raw:  # as a run that failed after its last batch would be
        raw.execute("UPDATE itil_imports SET status = 'failed', detail = 'test'")
    log, mapping = tmp_path / "problems.csv", tmp_path / "problems.toml"
    code, _, err = cli(capsys, "kpi", "--db", db)
    assert code == 1 and "failed" in one_line(err)
    code, out, err = cli(capsys, "import", log, "--mapping", mapping, "--db", db, "--resume")
    assert code == 0, err
    assert "import run 1 complete (3 problems written, attempt 2)" in out
    code, after, err = cli(capsys, "kpi", "--db", db, "--format", "json")
    assert code == 0 and figures(after) == before, err
