"""Problem KPIs, with every expected figure computed from the rows or times the test chose."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import problem_logs as logs
from itil_l2 import SYSTEM, Impact, Urgency
from itil_l2.importers import read_problem_log
from itil_l2.knowledge import Period
from itil_l2.kpis import (
    closed_without_rca,
    known_errors_raised,
    problem_backlog,
    problem_time_to_close,
    problem_time_to_resolve,
)
from itil_l2.problems import Problem, ProblemConfig, ProblemResolutionCode
from itil_l2.problems.rca import FiveWhys, RcaAction, RcaRecord, RcaStatus, Why

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
H = timedelta(hours=1)
CONFIG = ProblemConfig(allow_close_without_rca=True)
CHAIN = FiveWhys([Why("Why did orders fail?", "The listener was down")], "logs never rotated")
DONE = RcaRecord(
    CHAIN,
    root_cause="logs never rotated",
    corrective_actions=[RcaAction("rotate the logs", "bob", date(2026, 4, 1))],
    status=RcaStatus.COMPLETED,
)


def _problem(id: str, opened: float) -> Problem:
    return Problem.open(
        id=id, statement=f"problem {id}", impact=Impact.HIGH, urgency=Urgency.LOW,
        at=T0 + opened * H, actor=SYSTEM, config=CONFIG,
    )  # fmt: skip


def _fleet() -> list[Problem]:
    """Six problems at hand-chosen hours (opened, resolved, closed) for hand-computed figures."""
    fixed = _problem("FIXED", 0)  # opened 0, resolved 30, closed 40, complete RCA, known error
    fixed.assess(at=T0 + 1 * H, actor=SYSTEM)
    fixed.start_analysis(at=T0 + 2 * H, actor=SYSTEM)
    fixed.record_rca(DONE, at=T0 + 3 * H, actor=SYSTEM)
    fixed.publish_workaround("restart", at=T0 + 4 * H, actor=SYSTEM)
    fixed.raise_known_error("KE-1", at=T0 + 5 * H, actor=SYSTEM)
    fixed.resolve(ProblemResolutionCode.FIX_APPLIED, "fixed", at=T0 + 30 * H, actor=SYSTEM)
    fixed.close(at=T0 + 40 * H, actor=SYSTEM)
    risk = _problem("RISK", 10)  # opened 10, resolved 20, not closed, no RCA
    risk.resolve(ProblemResolutionCode.RISK_ACCEPTED, "live with it", at=T0 + 20 * H, actor=SYSTEM)
    imported = _problem("IMPORTED", 5)  # opened 5, resolved and closed 65 without an RCA
    imported.resolve(
        ProblemResolutionCode.CLOSED_WITHOUT_RCA, "closed", at=T0 + 65 * H, actor=SYSTEM
    )
    imported.close(at=T0 + 65 * H, actor=SYSTEM)
    cancelled = _problem("CANCELLED", 1)
    cancelled.cancel("not a problem", at=T0 + 3 * H, actor=SYSTEM)
    reopened = _problem("REOPENED", 2)  # resolved 8, reanalysed 12: open again
    reopened.resolve(ProblemResolutionCode.RISK_ACCEPTED, "r", at=T0 + 8 * H, actor=SYSTEM)
    reopened.reanalyze("came back", at=T0 + 12 * H, actor=SYSTEM)
    still = _problem("OPEN", 50)
    return [fixed, risk, imported, cancelled, reopened, still]


def test_time_to_resolve_and_close_by_hand() -> None:
    fleet = _fleet()
    resolve = problem_time_to_resolve(fleet)
    hours = [30.0, 10.0, 60.0]  # FIXED 0→30, RISK 10→20, IMPORTED 5→65
    assert resolve.value == pytest.approx(sum(hours) / 3) and resolve.sample_size == 3
    assert resolve.reasons() == {"cancelled": 1, "still open": 2}
    assert problem_time_to_resolve(fleet, statistic="median").value == 30.0
    p90 = statistics.quantiles(hours, n=10, method="inclusive")[-1]
    assert problem_time_to_resolve(fleet, statistic="p90").value == pytest.approx(p90)
    close = problem_time_to_close(fleet)
    assert close.value == pytest.approx((40.0 + 60.0) / 2) and close.sample_size == 2
    assert close.reasons() == {"cancelled": 1, "resolved, not closed": 1, "still open": 2}
    march = Period(T0 + 39 * H, T0 + 41 * H)
    within = problem_time_to_close(fleet, period=march)
    assert (within.value, within.sample_size) == (40.0, 1)
    assert within.reasons()["ended outside the period"] == 1


def test_backlog_known_errors_and_closed_without_rca_by_hand() -> None:
    fleet = _fleet()
    at = T0 + 15 * H  # open: FIXED (15 h old), RISK (5), IMPORTED (10), REOPENED (13)
    backlog = problem_backlog(fleet, at)
    assert backlog.value == 4 and backlog.distribution.values == (5.0, 10.0, 13.0, 15.0)  # type: ignore[union-attr]
    assert backlog.reasons() == {"cancelled": 1, "not yet opened": 1}
    assert problem_backlog(fleet, T0 + 9 * H).reasons()["resolved"] == 1  # REOPENED, resolved at 8
    known = known_errors_raised(fleet)
    assert (known.numerator, known.sample_size, known.value) == (1, 6, 1 / 6)
    gaps = closed_without_rca(fleet)  # RISK and IMPORTED ended without an RCA; FIXED had one
    assert (gaps.value, gaps.numerator, gaps.sample_size) == (2.0, 2, 3)
    assert gaps.reasons() == {"cancelled": 1, "still open": 2}


def test_nothing_measurable_is_none_not_zero() -> None:
    assert problem_time_to_resolve([]).value is None
    assert problem_time_to_close([_problem("OPEN", 0)]).value is None
    assert known_errors_raised([]).value is None
    assert closed_without_rca([_problem("OPEN", 0)]).value is None
    assert problem_backlog([], T0).value == 0


HYPOTHESIS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _imported(tmp_path: Path, rows: list[logs.Row]) -> list[Problem]:
    path = logs.write(tmp_path / "problems.csv", rows)
    run = read_problem_log(
        path, columns=logs.COLUMNS, phases=logs.PHASES, time_format=logs.TIME_FORMAT, zone=logs.ZONE
    )
    return list(run)


@HYPOTHESIS
@given(rows=logs.logs(), minutes=st.integers(0, 40_000))
def test_imported_problem_kpis_agree_with_the_rows(
    tmp_path: Path, rows: list[logs.Row], minutes: int
) -> None:
    problems = _imported(tmp_path, rows)
    cases = logs.by_case(rows)
    # backlog at t = opened at or before t and not resolved, closed or cancelled by t
    t = logs.START + timedelta(minutes=minutes)
    ages = sorted(
        (t - mine[0].at) / H
        for mine in cases.values()
        if mine[0].at <= t and not ((end := logs.expected_ended_at(mine)) and end <= t)
    )
    backlog = problem_backlog(problems, t)
    assert backlog.value == len(ages)
    assert backlog.distribution.values == pytest.approx(ages)  # type: ignore[union-attr]
    resolved = [
        (at - mine[0].at) / H
        for mine in cases.values()
        if (at := logs.expected_resolved_at(mine)) is not None
    ]
    result = problem_time_to_resolve(problems)
    assert result.sample_size == len(resolved)
    if resolved:
        assert result.value == pytest.approx(math.fsum(resolved) / len(resolved))
    else:
        assert result.value is None
    closed = [
        (at - mine[0].at) / H
        for mine in cases.values()
        if (at := logs.expected_closed_at(mine)) is not None
    ]
    close = problem_time_to_close(problems, statistic="median")
    assert close.value == (pytest.approx(statistics.median(closed)) if closed else None)
    gaps = closed_without_rca(problems)  # a log holds no RCA: every ended problem counts
    assert (gaps.numerator, gaps.sample_size) == (len(resolved), len(resolved))
    assert known_errors_raised(problems).numerator == 0


class HalfClock:
    """A business clock that counts half of every stretch (enough to tell it is used)."""

    def between(self, a: datetime, b: datetime) -> timedelta:
        return (b - a) / 2


def test_a_clock_and_a_period() -> None:
    fleet = _fleet()
    business = problem_time_to_resolve(fleet, clock=HalfClock())
    assert business.definition == "business_problem_time_to_resolve"
    assert business.value == pytest.approx((15.0 + 5.0 + 30.0) / 3)
    early = problem_time_to_resolve(fleet, period=Period(T0, T0 + 25 * H))  # RISK only, at 20
    assert (early.value, early.sample_size) == (10.0, 1)
    first_hours = known_errors_raised(
        fleet, period=Period(T0, T0 + 3 * H)
    )  # FIXED, CANCELLED, REOPENED
    assert (first_hours.numerator, first_hours.sample_size) == (1, 3)
    assert first_hours.reasons() == {"opened outside the period": 3}
