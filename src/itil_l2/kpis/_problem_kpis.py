"""Problem KPIs: time to resolve and to close, backlog and its age, known errors, RCA gaps.

Each returns a `KpiResult` like the ticket KPIs: the definition's name, how
many problems were measured, each problem left out with the reason, and for
durations the whole `Distribution` (hours; `value` is the chosen statistic).
Nothing measurable gives `value` None, never a zero that looks like a figure.
Every figure is read from the problem's own history, imported problems alike:
a problem an import closed without an RCA (`closed_without_rca`) resolved and
closed at the times the source recorded, and counts in `closed_without_rca`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from itil_l2._core.time import ensure_aware
from itil_l2.knowledge import Period
from itil_l2.kpis._engine import OUTSIDE, STILL_OPEN
from itil_l2.kpis._result import Distribution, Exclusion, KpiResult
from itil_l2.kpis._time import BusinessClock
from itil_l2.problems import Problem, ProblemPhase
from itil_l2.problems import events as ev

__all__ = [
    "closed_without_rca",
    "known_errors_raised",
    "problem_backlog",
    "problem_time_to_close",
    "problem_time_to_resolve",
]

_HOUR = timedelta(hours=1)
_P = ProblemPhase
_ENDED = (_P.RESOLVED, _P.CLOSED)


def _hours(clock: BusinessClock | None, a: datetime, b: datetime) -> float:
    return (b - a if clock is None else clock.between(a, b)) / _HOUR


def _closed_at(problem: Problem) -> datetime | None:
    last = problem.history[-1]
    return last.at if isinstance(last.payload, ev.ProblemClosed) else None


def _why_not(problem: Problem, wanted: tuple[ProblemPhase, ...]) -> str | None:
    phase = problem.phase
    if phase in wanted:
        return None
    if phase is _P.CANCELLED:
        return "cancelled"
    return "resolved, not closed" if phase is _P.RESOLVED else STILL_OPEN


def _durations(
    name: str,
    problems: Iterable[Problem],
    end: Callable[[Problem], datetime | None],
    wanted: tuple[ProblemPhase, ...],
    statistic: str,
    clock: BusinessClock | None,
    period: Period | None,
) -> KpiResult:
    values: list[float] = []
    excluded: list[Exclusion] = []
    for problem in problems:
        reason = _why_not(problem, wanted)
        at = end(problem) if reason is None else None
        if reason is None and at is not None and period is not None and at not in period:
            reason = OUTSIDE
        if reason is None and at is not None:
            values.append(_hours(clock, problem.opened_at, at))
        else:
            excluded.append(Exclusion(problem.id, reason or STILL_OPEN))
    dist = Distribution(values)
    definition = name if clock is None else f"business_{name}"
    return KpiResult(
        definition,
        dist.statistic(statistic) if values else None,
        dist.count,
        tuple(excluded),
        distribution=dist,
        unit="hours",
    )


def problem_time_to_resolve(
    problems: Iterable[Problem],
    *,
    statistic: str = "mean",
    clock: BusinessClock | None = None,
    period: Period | None = None,
) -> KpiResult:
    """Hours from a problem's opening to its standing resolution.

    Definition ("problem_time_to_resolve", or "business_problem_time_to_resolve"
    with a `clock`): for every problem resolved or closed, opened → the last
    resolve no reanalysis undid (`Problem.resolved_at`), whatever the code.
    Excluded: "cancelled", "still open" (reanalysed ones too), and with
    `period` those resolved outside it. `statistic`: "mean", "median", "pNN".

    >>> from datetime import datetime, timedelta, timezone
    >>> from itil_l2 import Actor, Impact, Problem, Role, Urgency
    >>> from itil_l2.problems import ProblemResolutionCode
    >>> from itil_l2.kpis import problem_time_to_resolve
    >>> pat = Actor("pat", roles={Role.PROBLEM_MANAGER})
    >>> t0 = datetime(2026, 3, 2, tzinfo=timezone.utc)
    >>> p = Problem.open(id="PRB-1", statement="Nightly outage", impact=Impact.LOW,
    ...                  urgency=Urgency.LOW, at=t0, actor=pat)
    >>> _ = p.resolve(ProblemResolutionCode.RISK_ACCEPTED, "accepted", at=t0 + timedelta(hours=30),
    ...               actor=pat)
    >>> r = problem_time_to_resolve([p])
    >>> r.value, r.sample_size
    (30.0, 1)
    """
    return _durations(
        "problem_time_to_resolve", problems, _resolved_at, _ENDED, statistic, clock, period
    )


def _resolved_at(problem: Problem) -> datetime | None:
    return problem.resolved_at


def problem_time_to_close(
    problems: Iterable[Problem],
    *,
    statistic: str = "mean",
    clock: BusinessClock | None = None,
    period: Period | None = None,
) -> KpiResult:
    """Hours from a problem's opening to its closing.

    Definition ("problem_time_to_close" / "business_problem_time_to_close"):
    for every closed problem, opened → the close. Excluded: "cancelled",
    "resolved, not closed", "still open", and with `period` those closed
    outside it.
    """
    return _durations(
        "problem_time_to_close", problems, _closed_at, (_P.CLOSED,), statistic, clock, period
    )


def _phase_at(problem: Problem, at: datetime) -> ProblemPhase | None:
    """The problem's phase at instant `at` (None: not yet opened), replayed from its history."""
    phase: ProblemPhase | None = None
    for event in problem.history:
        if event.at > at:
            break
        phase = _MOVES.get(type(event.payload), phase)
    return phase


_MOVES: dict[type, ProblemPhase] = {
    ev.ProblemOpened: _P.NEW,
    ev.ProblemAssessed: _P.ASSESS,
    ev.ProblemAnalysisStarted: _P.ROOT_CAUSE_ANALYSIS,
    ev.ProblemReanalyzed: _P.ROOT_CAUSE_ANALYSIS,
    ev.ProblemFixStarted: _P.FIX_IN_PROGRESS,
    ev.ProblemResolved: _P.RESOLVED,
    ev.ProblemClosed: _P.CLOSED,
    ev.ProblemCancelled: _P.CANCELLED,
}


def problem_backlog(problems: Iterable[Problem], at: datetime) -> KpiResult:
    """The problems open at instant `at`, with their ages.

    Definition ("problem_backlog"): problems opened at or before `at` whose
    phase at `at`, replayed from the history, was new, assess, root cause
    analysis or fix in progress (a resolved problem is not in the backlog; a
    reanalysed one is again). `value` is the count; `distribution` holds each
    one's age at `at` in hours. Excluded, with the reason: "not yet opened",
    "resolved", "closed", "cancelled".
    """
    ensure_aware(at)
    ages: list[float] = []
    excluded: list[Exclusion] = []
    for problem in problems:
        phase = _phase_at(problem, at)
        if phase is None:
            excluded.append(Exclusion(problem.id, "not yet opened"))
        elif phase in (_P.RESOLVED, _P.CLOSED, _P.CANCELLED):
            excluded.append(Exclusion(problem.id, phase.value))
        else:
            ages.append((at - problem.opened_at) / _HOUR)
    dist = Distribution(ages)
    return KpiResult(
        "problem_backlog",
        float(dist.count),
        dist.count,
        tuple(excluded),
        distribution=dist,
        unit="problems",
    )


def known_errors_raised(problems: Iterable[Problem], *, period: Period | None = None) -> KpiResult:
    """How many problems became known errors, and their share of the problems.

    Definition ("known_errors_raised"): `numerator` is the number of problems
    that raised a known error, `sample_size` the number of problems, `value`
    their ratio (None with no problems). With `period`, only problems opened
    inside it are counted; the rest are excluded ("opened outside the period").
    """
    count, sample = 0, 0
    excluded: list[Exclusion] = []
    for problem in problems:
        if period is not None and problem.opened_at not in period:
            excluded.append(Exclusion(problem.id, "opened outside the period"))
            continue
        sample += 1
        count += problem.known_error is not None
    value = count / sample if sample else None
    return KpiResult("known_errors_raised", value, sample, tuple(excluded), numerator=count)


def closed_without_rca(problems: Iterable[Problem]) -> KpiResult:
    """How many resolved or closed problems ended without a complete RCA.

    Definition ("closed_without_rca"): among the problems whose standing phase
    is resolved or closed (`sample_size`), those whose RCA was missing or not
    completed when they were resolved: an import's `closed_without_rca` code,
    and the codes that waive the RCA (`risk_accepted`, `duplicate`), alike.
    `value` and `numerator` are that count (None when no problem ended).
    Excluded: "cancelled", "still open".
    """
    count, sample = 0, 0
    excluded: list[Exclusion] = []
    for problem in problems:
        if problem.phase not in _ENDED:
            reason = "cancelled" if problem.phase is _P.CANCELLED else STILL_OPEN
            excluded.append(Exclusion(problem.id, reason))
            continue
        sample += 1
        count += problem.rca is None or not problem.rca.is_complete
    return KpiResult(
        "closed_without_rca",
        float(count) if sample else None,
        sample,
        tuple(excluded),
        numerator=count,
        unit="problems",
    )
