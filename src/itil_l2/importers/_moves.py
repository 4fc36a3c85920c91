"""The moves of a replay: from the ticket's phase to the phase a step recorded.

`Moves` is the half of the `Replayer` (see `_replay.py`, whose docstring has
the table of moves) that changes an open ticket for one step: a group move
(`reassign`, `escalate`, `hand_back`), a field update, the phase move, the
texts. Every move goes through `_attempt`, so a refused trigger becomes a
`Deviation` under the policy and the rest of the row still stands.

The code is written for the hot path of a real log (100,000s of steps):
a step that changes nothing costs a few comparisons, and the closures a
move needs are only built when the move is made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from operator import attrgetter
from typing import Any, NamedTuple

from itil_l2._core.actor import SYSTEM, Actor
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ItilL2Error
from itil_l2.importers._conformance import ConformanceError, Deviation, ImportPolicy, Tally
from itil_l2.importers._steps import Case, Step
from itil_l2.tickets import (
    Handover,
    HandoverSource,
    HoldReason,
    L3Target,
    L3TargetKind,
    Link,
    Phase,
    Resolution,
    ResolutionCode,
    Ticket,
)

__all__ = ["REPAIR_NOTE", "Moves", "StepContext"]

_TIERED = frozenset({Phase.QUEUED, Phase.IN_PROGRESS, Phase.ON_HOLD})
_OPEN = frozenset({Phase.NEW, *_TIERED})
_NOTABLE = frozenset({*_OPEN, Phase.RESOLVED})
_FIELDS = ("impact", "urgency", "category", "subcategory", "symptom", "ci_refs")
_FIELD_VALUES = attrgetter(*_FIELDS)
REPAIR_NOTE = "[import repair]"


class _Skip(Exception):
    def __init__(self, deviation: Deviation) -> None:
        super().__init__(str(deviation))
        self.deviation = deviation


class _Run:
    """One case being replayed."""

    __slots__ = (
        "at",
        "back",
        "case",
        "deviated",
        "groups",
        "rejected",
        "step",
        "ticket",
        "unchanged",
    )

    def __init__(self, case: Case, groups: dict[str, SupportGroup]) -> None:
        self.case = case
        self.groups = groups
        self.ticket: Ticket | None = None
        self.step: Step | None = None
        self.at: datetime | None = None
        self.back = False  # the step's time went back (an out-of-order row)
        self.rejected = 0
        self.deviated: set[int] = set()  # the lines of the rows a deviation names
        self.unchanged: tuple[Any, ...] = ()  # (step's fields, ticket's) last found equal


class StepContext(NamedTuple):
    """One step being replayed: what every move of the step needs.

    The case's run, the ticket, the step, and the step's group (None when it
    names none), instant and actor.
    """

    run: _Run
    ticket: Ticket
    step: Step
    group: SupportGroup | None
    at: datetime
    actor: Actor


class Moves:
    """Deviations and the moves of one step (the `Replayer` builds on it).

    Value objects a move needs again and again (`Resolution`, `Handover`)
    are frozen, so equal ones are built once and shared.
    """

    tally: Tally
    policy: ImportPolicy
    codes: dict[str, ResolutionCode]
    default_code: ResolutionCode

    def __init__(self) -> None:
        self._resolutions: dict[tuple[Any, ...], Resolution] = {}
        self._handovers: dict[tuple[Any, ...], Handover] = {}

    # -- deviations ------------------------------------------------------------------

    def _deviate(self, run: _Run, rule: str, repair: str) -> None:
        """Record a deviation per the policy; under lenient, note the repair in the history."""
        step = run.step
        line = step.line if step is not None else None
        if line is not None:
            run.deviated.add(line)
        lenient = self.policy is ImportPolicy.LENIENT
        deviation = Deviation(
            run.case.id, line, rule, repair if lenient else None, self.tally.source
        )
        if self.policy is ImportPolicy.STRICT:
            raise ConformanceError(deviation)
        if not lenient:
            raise _Skip(deviation)
        self.tally.deviations.append(deviation)
        self.tally.repaired[run.case.id] = None
        ticket = run.ticket
        if ticket is not None and ticket.phase in _NOTABLE:
            at = run.at if run.at is not None and run.at > ticket.updated_at else ticket.updated_at
            text = f"{REPAIR_NOTE} line {line}: {rule}; {repair}"
            ticket.add_note(text, at=at, actor=SYSTEM)

    def _attempt(self, run: _Run, what: str, action: Callable[[], None]) -> bool:
        """Run one move; a refusal becomes a deviation (the move is not replayed)."""
        try:
            action()
        except ConformanceError:
            raise
        except ItilL2Error as exc:
            self._deviate(
                run, f"{what} refused: {exc}", f"{what} left out (the row's other changes stand)"
            )
            return False
        return True

    # -- group, fields, texts ----------------------------------------------------------

    def _move(self, ctx: StepContext, group: SupportGroup) -> None:
        """To another group: same tier reassign, a tier up escalate, a tier down hand back."""
        run, ticket, step, at, actor = ctx.run, ctx.ticket, ctx.step, ctx.at, ctx.actor
        source = ticket.group
        assert source is not None
        step_up = group.tier.level - source.tier.level
        reason = f"imported: group changed from {source.name} (line {step.line})"
        if step_up == 0:
            self._attempt(
                run, "reassign", lambda: ticket.reassign(group, at=at, actor=actor, reason=reason)
            )
        elif step_up > 0:
            handover = self._handover(ticket)
            target = _l3_target(step) if group.tier is Tier.L3 else None
            self._attempt(
                run,
                "escalate",
                lambda: ticket.escalate(group, handover, at=at, actor=actor, target=target),
            )
        else:
            text, fix = step.instructions or reason, step.fix
            self._attempt(
                run, "hand_back", lambda: ticket.hand_back(group, text, at=at, actor=actor, fix=fix)
            )

    def _handover(self, ticket: Ticket) -> Handover:
        """The imported handover: only the CI, priority and impact the export has."""
        key = (ticket.ci_refs, ticket.priority, ticket.impact)
        handover = self._handovers.get(key)
        if handover is None:
            handover = self._handovers[key] = Handover(
                ci_refs=ticket.ci_refs,
                priority=ticket.priority,
                impact=ticket.impact,
                source=HandoverSource.IMPORTED,
            )
        return handover

    def _fields(self, ctx: StepContext) -> None:
        """Update the fields the step has and the ticket has not (`None`: not in the export)."""
        run, ticket, step, at, actor = ctx.run, ctx.ticket, ctx.step, ctx.at, ctx.actor
        values = (_FIELD_VALUES(step), _FIELD_VALUES(ticket))
        if values == run.unchanged:  # as on the previous row: nothing to change
            return
        changes = {
            name: value
            for name, value, current in zip(_FIELDS, *values, strict=True)
            if value is not None and value != current
        }
        if not changes:
            run.unchanged = values
            return
        if ticket.phase not in _OPEN:
            names = ", ".join(changes)
            self._deviate(
                run,
                f"field change on a {ticket.phase.value} ticket: {names}",
                "not replayed (an ended ticket keeps its fields)",
            )
            return
        self._attempt(run, "update", lambda: ticket.update(at=at, actor=actor, **changes))

    def _texts(self, ctx: StepContext) -> None:
        """Vendor updates and notes the export carries (XES from `write_xes`)."""
        run, ticket, step, at, actor = ctx.run, ctx.ticket, ctx.step, ctx.at, ctx.actor
        text, note = step.vendor_text, step.note
        if text is not None:
            self._attempt(
                run, "vendor_update", lambda: ticket.vendor_update(text, at=at, actor=actor)
            )
        if note is not None:
            self._attempt(run, "add_note", lambda: ticket.add_note(note, at=at, actor=actor))

    # -- the phase ---------------------------------------------------------------------

    def _phase(self, ctx: StepContext, premature_close: bool) -> None:
        """Make the moves from the ticket's phase to the step's (the table in `_replay.py`)."""
        run, ticket, step = ctx.run, ctx.ticket, ctx.step
        target = step.phase
        phase = ticket.phase
        if target is Phase.NEW or target is Phase.QUEUED:
            self._queue(ctx, target)
        elif target is Phase.IN_PROGRESS:
            self._work(ctx)
        elif target is Phase.ON_HOLD:
            self._hold(ctx)
        elif target is Phase.RESOLVED:
            if phase in _OPEN:
                self._attempt(run, "resolve", lambda: self._resolve(ctx))
        elif target is Phase.CLOSED:
            self._close(ctx, premature_close)
        elif target is Phase.CANCELLED:
            self._cancel(ctx)
        assignee = step.assignee
        if assignee is not None and assignee != ticket.assignee and ticket.phase in _TIERED:
            self._attempt(run, "assign_to", lambda: _assignee(ctx))

    def _queue(self, ctx: StepContext, target: Phase) -> None:
        """A row that says new or queued: assign, requeue, or no way back (a deviation)."""
        run, phase = ctx.run, ctx.ticket.phase
        if phase is Phase.NEW or phase is Phase.QUEUED:
            if phase is Phase.NEW and target is Phase.QUEUED:
                self._attempt(run, "assign", lambda: _assign(ctx))
        elif target is Phase.QUEUED and (phase is Phase.IN_PROGRESS or phase is Phase.ON_HOLD):
            if run.back:  # timed before the work it would end: out of order, no return
                rule = f"queued after {phase.value}, out of order: no return to the queue"
                self._deviate(run, rule, f"the ticket stays {phase.value}")
            else:
                self._attempt(run, "requeue", lambda: _requeue(ctx))
        else:
            rule = f"{target.value} after {phase.value}: no way back to {target.value}"
            self._deviate(run, rule, f"the ticket stays {phase.value}")

    def _cancel(self, ctx: StepContext) -> None:
        run, ticket, step = ctx.run, ctx.ticket, ctx.step
        if ticket.phase in _OPEN:
            why = f"imported: {step.raw_state} (line {step.line})"
            self._attempt(run, "cancel", lambda: ticket.cancel(why, at=ctx.at, actor=ctx.actor))
        else:
            rule = "cancelled after resolved: a resolved ticket is not cancelled"
            self._deviate(run, rule, "kept resolved")

    def _work(self, ctx: StepContext) -> None:
        run, ticket, step, at, actor = ctx.run, ctx.ticket, ctx.step, ctx.at, ctx.actor
        phase = ticket.phase
        if phase is Phase.IN_PROGRESS:
            return
        if phase is Phase.NEW or phase is Phase.QUEUED:
            self._attempt(run, "start", lambda: _start_work(ctx))
        elif phase is Phase.ON_HOLD:
            cause = f"imported: {step.raw_state} (line {step.line})"
            self._attempt(run, "resume", lambda: ticket.resume(cause, at=at, actor=actor))
        elif phase is Phase.RESOLVED:
            self._attempt(run, "reopen", lambda: _reopen(ctx))

    def _hold(self, ctx: StepContext) -> None:
        run, ticket, step, at, actor = ctx.run, ctx.ticket, ctx.step, ctx.at, ctx.actor
        reason = step.hold_reason or HoldReason.AWAITING_CALLER
        if ticket.phase is Phase.ON_HOLD:
            if ticket.hold_reason != reason:
                self._attempt(
                    run,
                    "change_hold_reason",
                    lambda: ticket.change_hold_reason(reason, at=at, actor=actor),
                )
            return

        def hold() -> None:
            if ticket.phase is Phase.RESOLVED:
                _reopen(ctx)
            _start_work(ctx)
            ticket.hold(reason, at=at, actor=actor)

        self._attempt(run, "hold", hold)

    def _close(self, ctx: StepContext, premature: bool) -> None:
        run, ticket, at, actor = ctx.run, ctx.ticket, ctx.at, ctx.actor
        phase = ticket.phase
        if phase is Phase.CLOSED:
            return
        if premature:
            self._deviate(
                run,
                "activity after closed: closed is final, yet the export goes on",
                "this close is not replayed; the ticket goes on until its last close",
            )
            run.rejected += 1
            return
        if phase in _OPEN:
            self._deviate(
                run,
                f"closed without being resolved (from {phase.value})",
                "resolved at the close's time, then closed",
            )
            if not self._attempt(run, "resolve", lambda: self._resolve(ctx)):
                return
        self._attempt(run, "close", lambda: ticket.close(at=at, actor=actor))

    def _resolve(self, ctx: StepContext) -> None:
        ctx.ticket.resolve(self._resolution(ctx.step), at=ctx.at, actor=ctx.actor)

    def _resolution(self, step: Step) -> Resolution:
        raw = step.resolution_code
        code = self.codes.get(raw, self.default_code) if raw is not None else self.default_code
        notes = step.resolution_notes
        if notes is None:
            notes = (
                f"imported, resolution code {raw}" if raw is not None else "resolved in the export"
            )
        key = (code, notes, step.kb_refs)
        resolution = self._resolutions.get(key)
        if resolution is None:
            resolution = self._resolutions[key] = Resolution(code, notes, kb_refs=step.kb_refs)
        return resolution


def _assign(ctx: StepContext) -> None:
    ticket = ctx.ticket
    first = ctx.group or ctx.run.groups.get(ticket.owner_group.name, ticket.owner_group)
    reason = None if first.tier is Tier.L1 else f"imported: first group (line {ctx.step.line})"
    ticket.assign(first, at=ctx.at, actor=ctx.actor, reason=reason)


def _start_work(ctx: StepContext) -> None:
    ticket, assignee, actor = ctx.ticket, ctx.step.assignee, ctx.actor
    if ticket.phase is Phase.NEW:
        _assign(ctx)
    if ticket.phase is Phase.QUEUED:
        if assignee is not None and assignee != actor.id:
            _assignee(ctx)
        ticket.start(at=ctx.at, actor=actor)


def _requeue(ctx: StepContext) -> None:
    """Back to the same group's queue; from on hold, work resumes first."""
    ticket, step = ctx.ticket, ctx.step
    why = f"imported: {step.raw_state} (line {step.line})"
    if ticket.phase is Phase.ON_HOLD:
        ticket.resume(why, at=ctx.at, actor=ctx.actor)
    ticket.requeue(at=ctx.at, actor=ctx.actor, reason=why)


def _reopen(ctx: StepContext) -> None:
    why = f"imported: {ctx.step.raw_state} after resolved (line {ctx.step.line})"
    ctx.ticket.reopen(why, at=ctx.at, actor=ctx.actor)


def _assignee(ctx: StepContext) -> None:
    ticket, assignee = ctx.ticket, ctx.step.assignee
    if assignee != ticket.assignee:
        ticket.assign_to(assignee, at=ctx.at, actor=ctx.actor)


def _linker(ticket: Ticket, link: Link, at: datetime, actor: Actor) -> Callable[[], None]:
    def action() -> None:
        ticket.link(link.kind, link.ref, at=at, actor=actor)

    return action


def _l3_target(step: Step) -> L3Target | None:
    if step.l3_name is None:
        return None
    return L3Target(step.l3_kind or L3TargetKind.VENDOR, step.l3_name, step.l3_reference)
