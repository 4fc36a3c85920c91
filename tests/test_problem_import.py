"""Problem logs imported as problems: another tool's vocabulary, hostile cells, the RCA switch.

Expected figures come from the rows each test writes (see `problem_logs`).
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import problem_logs as logs
from itil_l2 import SYSTEM, Impact, Urgency
from itil_l2.errors import CorruptHistory, UnknownResolutionCode, ValidationError
from itil_l2.importers import (
    PROBLEM_PHASE_TOKENS,
    ConformanceError,
    ImportPolicy,
    MalformedExport,
    ProblemCase,
    ProblemStep,
    read_problem_log,
    replay_problems,
)
from itil_l2.problems import Problem, ProblemConfig, ProblemPhase, ProblemResolutionCode

HYPOTHESIS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read(path: Path, policy: ImportPolicy = ImportPolicy.LENIENT, **options: object):  # type: ignore[no-untyped-def]
    return read_problem_log(
        path,
        columns=logs.COLUMNS,
        phases=logs.PHASES,
        time_format=logs.TIME_FORMAT,
        zone=logs.ZONE,
        policy=policy,
        **options,  # type: ignore[arg-type]
    )


@HYPOTHESIS
@given(rows=logs.logs())
def test_a_foreign_log_imports_as_its_rows_say(tmp_path: Path, rows: list[logs.Row]) -> None:
    path = logs.write(tmp_path / "problems.csv", rows)
    run = _read(path)
    problems = {p.id: p for p in run}
    report = run.report
    cases = logs.by_case(rows)
    assert report.rows_read == len(rows)
    assert report.rows_rejected == 0 and report.deviations == ()
    assert sorted(problems) == sorted(cases)
    for case, mine in cases.items():
        p = problems[case]
        assert p.phase.value == logs.expected_phase(mine)
        assert p.opened_at == mine[0].at
        assert p.resolved_at == logs.expected_resolved_at(mine)
        closed = p.history[-1].at if p.phase is ProblemPhase.CLOSED else None
        assert closed == logs.expected_closed_at(mine)
        assert (p.group.name, p.assignee) == logs.expected_owner(mine)  # type: ignore[union-attr]
        if p.resolution is not None:
            assert p.resolution.code == ProblemResolutionCode.CLOSED_WITHOUT_RCA
        again = Problem.from_history(p.history, config=run.config)
        assert (again.phase, again.version) == (p.phase, p.version)


def test_the_import_config_travels_and_the_default_config_refuses_it(tmp_path: Path) -> None:
    t = logs.START
    rows = [
        logs.Row("P1", t, "new", "Queued", "Awaiting Assignment", "PROD 2nd", "Anne"),
        logs.Row("P1", t + timedelta(hours=5), "closed", "Completed", "Closed", "PROD 2nd", "Anne"),
    ]
    run = _read(logs.write(tmp_path / "p.csv", rows))
    (problem,) = run
    assert run.config.allow_close_without_rca and not ProblemConfig().allow_close_without_rca
    assert run.report.figures["problems closed without a resolve row"] == 1
    with pytest.raises(CorruptHistory) as caught:
        Problem.from_history(problem.history)
    assert isinstance(caught.value.__cause__, UnknownResolutionCode)
    assert "allow_close_without_rca" in str(caught.value.__cause__)


# -- closing without an RCA: a switch, off for live problems ---------------------------------


def _open(config: ProblemConfig | None = None) -> Problem:
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    return Problem.open(
        id="PRB-1", statement="s", impact=Impact.LOW, urgency=Urgency.LOW, at=at, actor=SYSTEM,
        config=config or ProblemConfig(),
    )  # fmt: skip


def test_a_live_problem_cannot_close_without_an_rca_unless_the_config_says_so() -> None:
    code = ProblemResolutionCode.CLOSED_WITHOUT_RCA
    live = _open()
    with pytest.raises(UnknownResolutionCode, match="allow_close_without_rca"):
        live.resolve(code, "gone", at=live.opened_at, actor=SYSTEM)
    assert (live.phase, live.version) == (ProblemPhase.NEW, 1)
    allowed = _open(ProblemConfig(allow_close_without_rca=True))
    allowed.resolve(code, "gone", at=allowed.opened_at, actor=SYSTEM)
    allowed.close(at=allowed.opened_at, actor=SYSTEM)
    assert allowed.phase is ProblemPhase.CLOSED and allowed.rca is None


def test_the_code_with_forged_flags_is_no_longer_the_code() -> None:
    import attrs

    forged = attrs.evolve(
        ProblemResolutionCode.CLOSED_WITHOUT_RCA, incident_code=None, duplicate=True
    )
    p = _open(ProblemConfig(allow_close_without_rca=True))
    with pytest.raises(ValidationError):
        p.resolve(forged, "x", at=p.opened_at, actor=SYSTEM, duplicate_of="PRB-0")


def test_import_options_that_cannot_work_are_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "never-read.csv"
    with pytest.raises(ValidationError, match="allow_close_without_rca"):
        _read(path, config=ProblemConfig())
    with pytest.raises(ValidationError, match="unknown phase tokens"):
        read_problem_log(path, columns=logs.COLUMNS, phases={"Open": "open"})
    with pytest.raises(ValidationError, match="unknown column keys"):
        read_problem_log(path, columns={**logs.COLUMNS, "number": "x"}, phases=logs.PHASES)
    with pytest.raises(ValidationError, match="columns must name"):
        read_problem_log(path, columns={"case": "SR Number"}, phases=logs.PHASES)
    assert set(PROBLEM_PHASE_TOKENS) == {p.value for p in ProblemPhase} | {"keep"}


def test_risk_accepted_imports_under_the_default_config(tmp_path: Path) -> None:
    t = logs.START
    rows = [
        logs.Row("P1", t, "new", "Queued", "Awaiting Assignment", "PROD 2nd", "Anne"),
        logs.Row(
            "P1",
            t + timedelta(hours=1),
            "fix_in_progress",
            "Accepted",
            "Fixing",
            "PROD 2nd",
            "Anne",
        ),
        logs.Row("P1", t + timedelta(hours=2), "closed", "Completed", "Closed", "PROD 2nd", "Anne"),
    ]
    config = ProblemConfig(fix_needs_root_cause=False)
    run = _read(
        logs.write(tmp_path / "p.csv", rows),
        config=config,
        resolution_code=ProblemResolutionCode.RISK_ACCEPTED,
    )
    (problem,) = run
    assert problem.phase is ProblemPhase.CLOSED
    assert problem.resolution.code == ProblemResolutionCode.RISK_ACCEPTED  # type: ignore[union-attr]
    Problem.from_history(problem.history, config=config)


# -- hostile rows: a deviation under lenient, an error with file and line under strict -------

T = logs.START
GOOD = [
    logs.Row("P1", T, "new", "Queued", "Awaiting Assignment", "PROD 2nd", "Anne"),
    logs.Row("P1", T + timedelta(hours=1), "assess", "Accepted", "Assigned", "PROD 2nd", "Anne"),
    logs.Row("P2", T + timedelta(hours=2), "new", "Queued", "Awaiting Assignment", "G97 3rd", "Bo"),
    logs.Row("P2", T + timedelta(minutes=150), "assess", "Accepted", "Assigned", "G97 3rd", "Bo"),
    logs.Row("P1", T + timedelta(hours=3), "closed", "Completed", "Closed", "PROD 2nd", "Anne"),
]
_LATER = (T + timedelta(hours=4)).strftime(logs.TIME_FORMAT)
_BEFORE = (T - timedelta(hours=1)).strftime(logs.TIME_FORMAT)
HOSTILE = {
    "a date that is no date": [
        "P2",
        "31/02/2024 25:61:00",
        "Accepted",
        "Assigned",
        "G97 3rd",
        "Bo",
    ],
    "a twenty-digit year": [
        "P2",
        "01/01/99999999999999999999 10:00:00",
        "Accepted",
        "Assigned",
        "x",
        "Bo",
    ],
    "an unknown status": ["P2", _LATER, "Parked", "Somewhere", "G97 3rd", "Bo"],
    "a row after the close": ["P1", _LATER, "Accepted", "In Progress", "PROD 2nd", "Anne"],
    "a second opening of an id in progress": [
        "P2",
        _LATER,
        "Queued",
        "Awaiting Assignment",
        "x",
        "y",
    ],
    "a close timed before the opening": ["P2", _BEFORE, "Completed", "Closed", "G97 3rd", "Bo"],
    "a group no problem can hold": ["P2", _LATER, "Accepted", "Assigned", "bad\x00group", "Bo"],
    "no case id": ["", _LATER, "Accepted", "Assigned", "G97 3rd", "Bo"],
    "a short row": ["P2", _LATER, "Accepted"],
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_row_is_a_deviation_under_lenient(tmp_path: Path, name: str) -> None:
    path = logs.write(tmp_path / "p.csv", [*GOOD, HOSTILE[name]])
    run = _read(path)
    problems = {p.id: p for p in run}
    report = run.report
    assert report.rows_read == len(GOOD) + 1 == report.rows_accepted + report.rows_rejected
    hostile_line = len(GOOD) + 2  # the header is line 1
    assert {d.line for d in report.deviations} == {hostile_line}, report.deviations
    assert all(d.source == str(path) for d in report.deviations)
    assert set(problems) == {"P1", "P2"}  # the rest imported as ever
    assert problems["P1"].phase is ProblemPhase.CLOSED


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_row_stops_a_strict_import_with_file_and_line(tmp_path: Path, name: str) -> None:
    path = logs.write(tmp_path / "p.csv", [*GOOD, HOSTILE[name]])
    with pytest.raises(ConformanceError) as caught:
        list(_read(path, ImportPolicy.STRICT))
    assert (caught.value.path, caught.value.line) == (str(path), len(GOOD) + 2)
    assert f"{path}:{len(GOOD) + 2}" in str(caught.value)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_row_drops_only_its_problem_under_skip(tmp_path: Path, name: str) -> None:
    path = logs.write(tmp_path / "p.csv", [*GOOD, HOSTILE[name]])
    run = _read(path, ImportPolicy.SKIP)
    imported = {p.id for p in run}
    report = run.report
    hit = HOSTILE[name][0]
    assert report.rows_read == len(GOOD) + 1 == report.rows_accepted + report.rows_rejected
    if hit:
        assert imported == {"P1", "P2"} - {hit} and report.skipped == (hit,)
        assert report.rows_rejected == 1 + sum(1 for r in GOOD if r.case == hit)
    else:
        assert imported == {"P1", "P2"} and report.rows_rejected == 1


def test_rows_of_two_problems_under_one_id_are_a_deviation_not_a_merge() -> None:
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    first = ProblemCase("PRB-7", [ProblemStep(1, at, "Open", "new")])
    second = ProblemCase("PRB-7", [ProblemStep(2, at, "Open", "new")])
    run = replay_problems([first, second], source="cases.xes")
    assert [p.id for p in run] == ["PRB-7"]
    report = run.report
    assert report.skipped == ("PRB-7",) and report.rows_rejected == 1
    assert report.rules()["duplicate case id"] == 1
    with pytest.raises(ConformanceError, match=r"cases\.xes: PRB-7: duplicate case id"):
        list(replay_problems([first, second], source="cases.xes", policy=ImportPolicy.STRICT))


def test_a_reanalysis_and_a_status_without_a_sub_status(tmp_path: Path) -> None:
    rows = [
        logs.Row("P1", T, "new", "Queued", "", "PROD 2nd", "Anne"),
        logs.Row(
            "P1", T + timedelta(hours=1), "resolved", "Completed", "Resolved", "PROD 2nd", "Anne"
        ),
        logs.Row(
            "P1",
            T + timedelta(hours=2),
            "fix_in_progress",
            "Accepted",
            "Fixing",
            "PROD 2nd",
            "Anne",
        ),
    ]
    run = read_problem_log(
        logs.write(tmp_path / "p.csv", rows),
        columns=logs.COLUMNS,
        phases={**logs.PHASES, "Queued": "new"},
        time_format=logs.TIME_FORMAT,
        zone=logs.ZONE,
    )
    (p,) = run
    assert run.report.deviations == ()
    assert p.phase is ProblemPhase.FIX_IN_PROGRESS and p.resolved_at is None


# -- files that cannot be read -----------------------------------------------------------------


def test_a_missing_column_names_the_file_and_line_one(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("SR Number,Status\nP1,Queued\n", encoding="utf-8")
    with pytest.raises(MalformedExport, match="missing columns: Change Date\\+Time") as caught:
        list(_read(path))
    assert (caught.value.path, caught.value.line) == (str(path), 1)


def test_a_byte_order_mark_and_gzip_are_read(tmp_path: Path) -> None:
    plain = logs.write(tmp_path / "p.csv", GOOD)
    packed = tmp_path / "p.csv.gz"
    packed.write_bytes(gzip.compress(b"\xef\xbb\xbf" + plain.read_bytes()))
    assert sorted(p.id for p in _read(packed)) == ["P1", "P2"]


def test_broken_encoding_and_an_oversized_cell_are_malformed_exports(tmp_path: Path) -> None:
    path = logs.write(tmp_path / "p.csv", GOOD)
    path.write_bytes(path.read_bytes() + b"P2,\xff\xfe,x,y,z,w\n")
    with pytest.raises(MalformedExport) as caught:
        list(_read(path))
    assert caught.value.path == str(path)
    huge = logs.write(
        tmp_path / "huge.csv", [*GOOD, ["P2", _LATER, "Accepted", "Assigned", "x" * 200_000, "Bo"]]
    )
    with pytest.raises(MalformedExport) as caught:
        list(_read(huge))
    assert (caught.value.path, caught.value.line) == (str(huge), len(GOOD) + 2)


def test_an_empty_file_and_a_missing_file_are_malformed_exports(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(MalformedExport, match="no header"):
        list(_read(empty))
    with pytest.raises(MalformedExport, match="cannot open"):
        list(_read(tmp_path / "missing.csv"))


def test_a_run_is_iterated_once(tmp_path: Path) -> None:
    run = _read(logs.write(tmp_path / "p.csv", GOOD))
    list(run)
    with pytest.raises(ValidationError, match="once"):
        list(run)


def test_back_to_assess_is_a_deviation_and_late_group_changes_a_figure(tmp_path: Path) -> None:
    rows = [
        logs.Row("P1", T, "new", "Queued", "Awaiting Assignment", "PROD 2nd", "Anne"),
        logs.Row(
            "P1",
            T + timedelta(hours=1),
            "root_cause_analysis",
            "Accepted",
            "In Progress",
            "PROD 2nd",
            "Anne",
        ),
        logs.Row(
            "P1", T + timedelta(hours=2), "assess", "Accepted", "Assigned", "PROD 2nd", "Anne"
        ),
        logs.Row(
            "P1", T + timedelta(hours=3), "resolved", "Completed", "Resolved", "PROD 2nd", "Anne"
        ),
        logs.Row("P1", T + timedelta(hours=4), "closed", "Completed", "Closed", "G97 3rd", "Bo"),
    ]
    run = _read(logs.write(tmp_path / "p.csv", rows))
    (p,) = run
    report = run.report
    assert [(d.line, d.rule, d.repair) for d in report.deviations] == [
        (4, "back from root_cause_analysis to assess", "phase kept")
    ]
    assert report.rows_rejected == 0
    assert report.figures["group or analyst changes after resolve (not replayed)"] == 1
    assert p.phase is ProblemPhase.CLOSED and p.group.name == "PROD 2nd"  # type: ignore[union-attr]
