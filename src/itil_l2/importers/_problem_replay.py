"""Replay a normalised problem case through the problem workflow, recording deviations.

A problem log, whatever its format, becomes `ProblemCase`s: a case id and
its rows in order, each row (`ProblemStep`) holding the phase token its
status maps to and the values it carries. Every imported problem is built
with the problem's own triggers, so it obeys the same rules as a live one.
Each row says which phase the source recorded; the replay makes the moves
that lead there from the problem's current phase:

===================  =========================================================
phase token          moves, by the problem's phase when the row arrives
===================  =========================================================
new                  nothing (a later phase: deviation, phase kept)
assess               new: assess
root_cause_analysis  new/assess: the moves up to it; fix in progress or
                     resolved: reanalyze
fix_in_progress      earlier open phases: the moves up to it (start_fix);
                     resolved: reanalyze + start_fix
resolved             any open phase: resolve with the import's code
closed               resolved: close; any open phase: resolve + close (the
                     source closed it without a resolve row: a figure)
cancelled            any open phase: cancel
keep                 nothing: the row changes only group or analyst
===================  =========================================================

A move back to `new` or `assess` from a later phase is a deviation (the
phase is kept); a row after `closed` or `cancelled` that maps to another
phase is a deviation (the row is ignored). Before the phase move, a changed
group or analyst is an `assign` while the problem is open (after the resolve,
a figure in the report). Every move is made by an actor named after the
row's resource, with the system role.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import NoReturn

from attrs import define, field

from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.checks import id_fault, text_fault
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ItilL2Error
from itil_l2.importers._conformance import ConformanceError, Deviation, ImportPolicy, Tally
from itil_l2.importers._groups import GroupDirectory
from itil_l2.importers._moves import REPAIR_NOTE
from itil_l2.importers._steps import Actors
from itil_l2.problems import Problem, ProblemConfig, ProblemPhase, ProblemResolutionCode

__all__ = ["PHASE_TOKENS", "ProblemCase", "ProblemReplayer", "ProblemStep"]

_P = ProblemPhase
PHASE_TOKENS = (*(p.value for p in ProblemPhase), "keep")
"""The phase tokens a status may map to: the `ProblemPhase` values, and `keep`."""
_RANK = {_P.NEW: 0, _P.ASSESS: 1, _P.ROOT_CAUSE_ANALYSIS: 2, _P.FIX_IN_PROGRESS: 3}
_FINAL = (_P.CLOSED, _P.CANCELLED)


@define
class ProblemStep:
    """One row of a problem log, normalised: what the source recorded at one instant.

    `phase` is a phase token (see `PHASE_TOKENS`); `status` is the raw
    status (or `"status/sub"` key), for messages. `error` says why the row
    cannot be used (a bad timestamp, an unknown status); such a row is a
    deviation, never replayed.
    """

    line: int | None
    at: datetime | None
    status: str
    phase: str | None
    group: str | None = None
    resource: str | None = None
    impact: Impact | None = None
    urgency: Urgency | None = None
    statement: str | None = None
    description: str | None = None
    category: str | None = None
    service: str | None = None
    error: str | None = None


@define
class ProblemCase:
    """One problem in a log: its id and its rows, in the order the source wrote them."""

    id: str
    steps: list[ProblemStep] = field(factory=list)


class _Skip(Exception):
    def __init__(self, deviation: Deviation) -> None:
        super().__init__(str(deviation))
        self.deviation = deviation


class _Run:
    """One case being replayed."""

    def __init__(self, case: ProblemCase) -> None:
        self.case = case
        self.problem: Problem | None = None
        self.step: ProblemStep | None = None
        self.rejected = 0
        self.repaired = False


class ProblemReplayer:
    """Replays cases into problems under one policy and config; counts into a `Tally`."""

    def __init__(
        self,
        tally: Tally,
        *,
        policy: ImportPolicy,
        config: ProblemConfig,
        groups: GroupDirectory | None,
        resolution_code: ProblemResolutionCode,
        impact: Impact,
        urgency: Urgency,
    ) -> None:
        self.tally = tally
        self.policy = ImportPolicy(policy)
        self.config = config
        self.directory = groups
        self.code = resolution_code
        self.impact = impact
        self.urgency = urgency
        self._seen: set[str] = set()
        self._actor = Actors()  # one actor per updater name

    def replay(self, case: ProblemCase) -> Problem | None:
        """The problem the case builds, or None when it was skipped (all counted)."""
        tally = self.tally
        tally.incidents += 1
        tally.rows_read += len(case.steps)
        run = _Run(case)
        try:
            problem = self._build(run)
        except _Skip as skip:
            tally.deviations.append(skip.deviation)
            tally.skipped.append(case.id)
            tally.rows_rejected += len(case.steps)
            return None
        tally.rows_rejected += run.rejected
        tally.tickets += 1
        if run.repaired:
            tally.repaired[case.id] = None
        return problem

    # -- the case ------------------------------------------------------------------

    def _build(self, run: _Run) -> Problem:
        case = run.case
        fault = id_fault(case.id)
        if fault is not None:
            self._refuse(run, f"problem id {fault}")
        if case.id in self._seen:
            self._refuse(run, "duplicate case id: the id was imported before")
        self._seen.add(case.id)
        for step in case.steps:
            run.step = step
            if step.error is None:
                step.error = _fault(step)
            if step.error is not None:
                self._deviate(run, step.error, "row ignored", rejected=True)
                continue
            if run.problem is None:
                self._open(run, step)
                if run.problem is None:
                    continue
            self._step(run, run.problem, step)
        if run.problem is None:
            run.step = None
            raise _Skip(Deviation(case.id, None, "no usable row", None, self.tally.source))
        return run.problem

    def _refuse(self, run: _Run, rule: str) -> NoReturn:
        deviation = Deviation(run.case.id, None, rule, None, self.tally.source)
        if self.policy is ImportPolicy.STRICT:
            raise ConformanceError(deviation)
        raise _Skip(deviation)

    def _deviate(self, run: _Run, rule: str, repair: str, *, rejected: bool = False) -> None:
        """Record one deviation: strict raises, skip drops the case, lenient repairs."""
        line = run.step.line if run.step is not None else None
        if self.policy is ImportPolicy.STRICT:
            raise ConformanceError(Deviation(run.case.id, line, rule, None, self.tally.source))
        if self.policy is ImportPolicy.SKIP:
            raise _Skip(Deviation(run.case.id, line, rule, None, self.tally.source))
        self.tally.deviations.append(Deviation(run.case.id, line, rule, repair, self.tally.source))
        run.repaired = True
        run.rejected += rejected
        problem = run.problem
        if problem is not None and problem.phase not in _FINAL:
            text = f"{REPAIR_NOTE} line {line}: {rule}; {repair}"
            problem.add_note(text, at=problem.updated_at, actor=SYSTEM)

    def _attempt(self, run: _Run, what: str, action: Callable[[], object]) -> bool:
        """One move; a refusal becomes a deviation (the row is ignored from there on)."""
        try:
            action()
        except ConformanceError:
            raise
        except ItilL2Error as exc:
            self._deviate(run, f"{what} refused: {exc}", f"{what} left out", rejected=True)
            return False
        return True

    def _group(self, name: str) -> SupportGroup:
        if self.directory is not None:
            return self.directory.group(name)
        return SupportGroup(name, Tier.L2)

    # -- opening ---------------------------------------------------------------------

    def _open(self, run: _Run, step: ProblemStep) -> None:
        case = run.case
        first = next((s for s in case.steps if s.statement and s.error is None), None)
        statement = first.statement if first is not None and first.statement else None
        assert step.at is not None  # a row without a time carries an error
        try:
            run.problem = Problem.open(
                id=case.id,
                statement=statement or f"Problem {case.id} (imported)",
                description=(first.description if first is not None else None) or "",
                impact=step.impact or self.impact,
                urgency=step.urgency or self.urgency,
                category=step.category,
                service=step.service,
                group=self._group(step.group) if step.group is not None else None,
                at=step.at,
                actor=self._actor(step.resource),
                config=self.config,
            )
        except ItilL2Error as exc:
            self._deviate(run, f"open refused: {exc}", "row ignored", rejected=True)

    # -- one row ---------------------------------------------------------------------

    def _step(self, run: _Run, problem: Problem, step: ProblemStep) -> None:
        at = step.at
        assert at is not None
        last = problem.updated_at
        if at < last:
            self._deviate(
                run,
                f"time goes back: {at:%Y-%m-%d %H:%M} is before the previous event",
                f"event time raised to {last:%Y-%m-%d %H:%M}",
            )
            at = problem.updated_at
        actor = self._actor(step.resource)
        phase = problem.phase
        if phase in _FINAL:
            if step.phase != phase.value:
                self._deviate(run, f"activity after {phase.value}", "row ignored", rejected=True)
            return
        if not self._assign(run, problem, step, at, actor):
            return
        self._move(run, problem, step, at, actor)

    def _assign(
        self, run: _Run, problem: Problem, step: ProblemStep, at: datetime, actor: Actor
    ) -> bool:
        """A changed group or analyst while the problem is open; False when refused."""
        if step.group is None and step.resource is None:
            return True
        if problem.phase not in _RANK:
            current = problem.group.name if problem.group else None
            if step.group not in (None, current) or step.resource not in (None, problem.assignee):
                self.tally.figures["group or analyst changes after resolve (not replayed)"] += 1
            return True
        group = self._group(step.group) if step.group is not None else problem.group
        if group is None:
            self.tally.figures["analyst rows without a group (analyst left out)"] += 1
            return True
        if group.name == (problem.group.name if problem.group else None) and (
            step.resource is None or step.resource == problem.assignee
        ):
            return True
        assignee = step.resource

        def assign() -> None:
            problem.assign(group, at=at, actor=actor, assignee=assignee)

        return self._attempt(run, "assign", assign)

    def _move(
        self, run: _Run, problem: Problem, step: ProblemStep, at: datetime, actor: Actor
    ) -> None:
        token, phase = step.phase, problem.phase
        if token in (None, "keep") or token == phase.value:
            return
        target = ProblemPhase(token)
        why = f"{step.status!r} in the source"
        if target in _RANK:
            if phase is _P.RESOLVED or _RANK[target] < _RANK[phase]:
                if _RANK[target] < _RANK[_P.ROOT_CAUSE_ANALYSIS]:
                    self._deviate(run, f"back from {phase.value} to {token}", "phase kept")
                    return
                reanalyze = lambda: problem.reanalyze(why, at=at, actor=actor)  # noqa: E731
                if not self._attempt(run, "reanalyze", reanalyze):
                    return
            self._forward(run, problem, target, at, actor)
        elif target is _P.CANCELLED:
            if phase is _P.RESOLVED:
                self._deviate(run, "cancelled after resolved", "row ignored", rejected=True)
                return
            self._attempt(run, "cancel", lambda: problem.cancel(why, at=at, actor=actor))
        else:
            if phase is not _P.RESOLVED:
                notes = f"{token}: {why}"
                resolve = lambda: problem.resolve(self.code, notes, at=at, actor=actor)  # noqa: E731
                if not self._attempt(run, "resolve", resolve) or target is _P.RESOLVED:
                    return
                self.tally.figures["problems closed without a resolve row"] += 1
            self._attempt(run, "close", lambda: problem.close(at=at, actor=actor))

    def _forward(
        self, run: _Run, problem: Problem, target: ProblemPhase, at: datetime, actor: Actor
    ) -> None:
        """The moves from the problem's open phase up to `target`, one trigger each."""
        moves: tuple[tuple[str, Callable[..., None]], ...] = (
            ("assess", problem.assess),
            ("start_analysis", problem.start_analysis),
            ("start_fix", problem.start_fix),
        )
        for what, move in moves[_RANK[problem.phase] : _RANK[target]]:
            if not self._attempt(run, what, partial(move, at=at, actor=actor)):
                return


_ID_FIELDS = ("group", "resource", "category", "service")
_TEXT_FIELDS = ("statement", "description")


def _fault(step: ProblemStep) -> str | None:
    """Why a row cannot be used: no time, no phase, or a value no problem can hold."""
    if step.at is None:
        return "no timestamp"
    if step.phase is None:
        return f"unknown status {step.status!r}"
    for name in _ID_FIELDS:
        value = getattr(step, name)
        if value is not None and (fault := id_fault(value)) is not None:
            return f"{name} {fault}"
    for name in _TEXT_FIELDS:
        value = getattr(step, name)
        if value is not None and (fault := text_fault(value)) is not None:
            return f"{name} {fault}"
    return None
