"""Replay a normalised case through the ticket workflow, recording deviations.

Every imported ticket is built with the library's own triggers (`open`,
`assign`, `start`, `escalate`, `hold`, `resolve`, ...), so it obeys the same
rules as a live one. Each step says which phase the export recorded; the
replay makes the moves that lead there from the ticket's current phase:

=============  ===============================================================
export phase   moves, by the ticket's phase when the step arrives
=============  ===============================================================
new            new or queued: nothing; later: deviation (no way back to new)
queued         new: assign; in progress: requeue (same group: the return to
               the queue; a row timed before the previous event is out of
               order: deviation); on hold: resume + requeue; resolved:
               reopen + requeue
in_progress    new: assign + start; queued: start; on hold: resume;
               resolved: reopen
on_hold        new/queued: assign + start + hold; in progress: hold; on hold
               for another reason: change_hold_reason; resolved: reopen + hold
resolved       any open phase: resolve
closed         resolved: close (not while later steps show more activity:
               deviation); open: deviation, repaired by resolve + close
cancelled      any open phase: cancel; resolved: deviation
=============  ===============================================================

Before the phase move, a changed group moves the ticket between groups: same
tier → `reassign`, one tier up → `escalate` with an imported `Handover`
(only the CI, priority and impact the export has), one tier down →
`hand_back`. A row that reopens a resolved ticket reopens it first, so its
group change is made as for any open ticket; a new ticket resolved, closed
or cancelled by a row naming another group than its first is assigned there
first. A group or field change on a resolved or ended ticket, which no
trigger can make, is a deviation. Links are added in any phase; changed
fields (impact, urgency, category, CI) are updated while the ticket is open.
Every move is made by an actor named after the export's updater, with the
system role. The moves themselves are in `_moves.py`; this module opens the
ticket and walks the steps.

Every row is accounted for: it is replayed (the ticket holds what the row
states: its phase, its group, its fields) or a deviation names its line (or
its ticket was skipped whole); rows read = rows replayed + rows deviated.
The assignee of a resolved or ended ticket is not modelled (no trigger sets
it), so a row's assignee counts only while the ticket is open. `defaults`
gives the value of a field the export lacks (impact, urgency) without a
deviation; without one, a missing impact or urgency is assumed medium, a
deviation.

Before that, the case is vetted against the limits on values (see
`itil_l2.MAX_ID_LENGTH`): a row holding an identifier or a text no ticket can
hold is ignored (a deviation, like any unusable row), a caller that is no
identifier is left out, and a case whose id is none is skipped whole
(`ConformanceError` under `strict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import ConformanceError, Deviation, ImportPolicy, Tally
from itil_l2.importers._groups import GroupDirectory, _inferred_tiers
from itil_l2.importers._moves import (
    _FIELD_VALUES,
    _FIELDS,
    _TIERED,
    REPAIR_NOTE,
    StepContext,
    _assign,
    _linker,
    _reopen,
    _Run,
    _Skip,
)
from itil_l2.importers._steps import Actors, Case, Step
from itil_l2.importers._vetting import Vetting
from itil_l2.tickets import (
    SOLVED_PERMANENTLY,
    LinkKind,
    Phase,
    ResolutionCode,
    Ticket,
    WorkflowConfig,
)

__all__ = ["LINK_COLUMNS", "NO_GROUP", "REPAIR_NOTE", "Replayer"]

NO_GROUP = SupportGroup("(no group)", Tier.L1)
"""The owner group of a ticket whose export names no group at all."""

_FINAL = frozenset({Phase.CLOSED, Phase.CANCELLED})
_ENDS = frozenset({Phase.RESOLVED, Phase.CLOSED, Phase.CANCELLED})
_LEVELS = {level.value: level for level in Impact}
_DEFAULTABLE = ("impact", "urgency")

LINK_COLUMNS = {
    "problem_id": LinkKind.PROBLEM,
    "rfc": LinkKind.CHANGE,
    "caused_by": LinkKind.CAUSED_BY_CHANGE,
}


class Replayer(Vetting):
    """Turns cases into tickets under one policy, counting into a `Tally`."""

    def __init__(
        self,
        tally: Tally,
        *,
        policy: ImportPolicy = ImportPolicy.LENIENT,
        groups: GroupDirectory | None = None,
        config: WorkflowConfig | None = None,
        resolution_code: ResolutionCode = SOLVED_PERMANENTLY,
        defaults: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.tally = tally
        self.policy = ImportPolicy(policy)
        self.directory = groups
        self.config = config or WorkflowConfig()
        self.codes = {c.code: c for c in self.config.resolution_codes}
        self.default_code = resolution_code
        self.impact, self.urgency = _defaults(defaults)
        self._actor = Actors()  # one actor per updater name
        self._actors = self._actor.made  # read directly on the hot path (`_step`)
        self._groups: dict[tuple[str, Tier, tuple[str, ...]], SupportGroup] = {}
        self._faults: dict[str, str | None] = {}
        self._seen: set[str] = set()  # case ids read so far: a later case with one is a duplicate

    # -- one case ------------------------------------------------------------------

    def replay(self, case: Case) -> Ticket | None:
        """The case's ticket, or None when it was skipped (counted in the tally)."""
        tally = self.tally
        tally.incidents += 1
        run = _Run(case, {})
        if case.id in self._seen:
            self._duplicate(run)
            return None
        self._seen.add(case.id)
        _named_by_reader(tally, run)
        try:
            try:
                ticket = self._replay(run)
            except ValidationError as exc:  # a value no check below foresaw: never a crash
                self._refuse(run, f"unusable value: {exc}")
        except _Skip as skip:
            tally.deviations.append(skip.deviation)
            tally.skipped.append(case.id)
            tally.repaired.pop(case.id, None)
            tally.rows_rejected += len(case.steps)
            tally.replay_rejected += len(case.steps)
            tally.rows_deviated += len(case.steps)
            return None
        tally.rows_rejected += run.rejected
        tally.replay_rejected += run.rejected
        tally.rows_deviated += len(run.deviated)
        tally.rows_replayed += len(case.steps) - len(run.deviated)
        tally.tickets += 1
        return ticket

    def _duplicate(self, run: _Run) -> None:
        """A second case with an id already read: its rows are deviations, the first stays.

        Under strict a `ConformanceError`; under lenient and skip every row is
        rejected and named (the ticket read first is neither repaired nor skipped).
        """
        case, tally = run.case, self.tally
        rule = "duplicate case id: a ticket with this id was read earlier; rows ignored"
        lines = [s.line for s in case.steps]
        if self.policy is ImportPolicy.STRICT:
            first = lines[0] if lines else None
            raise ConformanceError(Deviation(case.id, first, rule, None, tally.source))
        tally.deviations += [Deviation(case.id, line, rule, None, tally.source) for line in lines]
        tally.rows_rejected += len(lines)
        tally.replay_rejected += len(lines)
        tally.rows_deviated += len(lines)

    def _replay(self, run: _Run) -> Ticket:
        case = run.case
        self._vet(run)
        run.groups, tier_source = self._tiers(case)
        steps = case.steps
        last_active = -1
        for i, s in enumerate(steps):
            if s.error is None and s.phase is not Phase.CLOSED:
                last_active = i
        for index, step in enumerate(steps):
            run.step = step
            if step.error is not None:
                self._deviate(run, step.error, "row ignored")
                run.rejected += 1
                continue
            if run.ticket is None:
                run.ticket = self._open(run, step, tier_source)
            self._step(run, run.ticket, step, index < last_active)
        if run.ticket is None:
            run.step = None
            raise _Skip(Deviation(case.id, None, "no usable row", None, self.tally.source))
        return run.ticket

    def _tiers(self, case: Case) -> tuple[dict[str, SupportGroup], str]:
        names: list[str] = []  # the usable rows' groups
        resolvers: list[str] = []  # the group holding the ticket at each usable resolved row
        current, tiered = None, False
        for step in case.steps:  # one pass for what the three sources need
            group = step.group
            if group is not None:
                if step.error is None:
                    names.append(group)
                if group:
                    current = group
                    tiered = tiered or bool(step.tier)
            if step.phase is Phase.RESOLVED and current is not None and step.error is None:
                resolvers.append(current)
        if self.directory is not None:
            unknown = {n for n in names if not self.directory.knows(n)}
            self.tally.figures["group names not in the tier directory"] += len(unknown)
            return {n: self.directory.group(n) for n in names}, "directory"
        if tiered:
            given = {s.group: s for s in reversed(case.steps) if s.group and s.tier}
            found = {}
            for n in names:
                s = given.get(n)
                specs = s.specialisations if s is not None else ()
                found[n] = self._group(n, s.tier if s and s.tier else Tier.L1, specs)
            return found, "export"
        inferred = _inferred_tiers(names, resolvers)
        return {n: self._group(n, tier) for n, tier in inferred.items()}, "inferred"

    def _group(self, name: str, tier: Tier, specialisations: tuple[str, ...] = ()) -> SupportGroup:
        key = (name, tier, specialisations)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = SupportGroup(name, tier, specialisations)
        return group

    # -- opening ---------------------------------------------------------------------

    def _open(self, run: _Run, step: Step, tier_source: str) -> Ticket:
        case = run.case
        first = next((s.group for s in case.steps if s.group and s.error is None), None)
        owner = run.groups[first] if first is not None else NO_GROUP
        at = step.at if case.opened_at is None else case.opened_at
        assert at is not None  # steps without a time carry an error
        impact, urgency = step.impact or self.impact, step.urgency or self.urgency
        attributes = {**case.attributes, "tier_source": tier_source}
        ticket = Ticket.open(
            id=case.id,
            title=case.title,
            impact=impact or Impact.MEDIUM,
            urgency=urgency or Urgency.MEDIUM,
            owner_group=owner,
            at=at,
            actor=self._actor(step.actor),
            caller=case.caller,
            kind=case.kind,
            channel=case.channel,
            category=step.category,
            subcategory=step.subcategory,
            symptom=step.symptom,
            ci_refs=step.ci_refs or (),
            attributes=attributes,
            config=self.config,
        )
        run.ticket = ticket
        if impact is None or urgency is None:
            self._deviate(run, "impact or urgency missing", "medium assumed")
        return ticket

    # -- one step --------------------------------------------------------------------

    def _step(self, run: _Run, ticket: Ticket, step: Step, premature_close: bool) -> None:
        at = step.at
        assert at is not None
        last = ticket.updated_at
        run.at = None
        run.back = at < last
        if at < last:
            self._deviate(
                run,
                f"time goes back: {at:%Y-%m-%d %H:%M} is before the previous event",
                f"event time raised to {last:%Y-%m-%d %H:%M}",
            )
            at = ticket.updated_at
        run.at = at
        actor = self._actors.get(step.actor or "") or self._actor(step.actor)  # None: the system
        phase = ticket.phase
        for link in step.links:
            if link not in ticket.links:
                self._attempt(run, "link", _linker(ticket, link, at, actor))
        group = run.groups.get(step.group) if step.group is not None else None
        if phase in _FINAL:
            if step.phase is not phase:
                self._deviate(run, f"activity after {phase.value}", "row ignored")
                run.rejected += 1
            elif (change := _ended_change(ticket, step, group)) is not None:
                self._deviate(run, f"{change} on a {phase.value} ticket", "not replayed")
            return
        context = _context((run, ticket, step, group, at, actor))
        target = step.phase
        if phase is Phase.RESOLVED and target in _TIERED:  # the reopen first, then the move
            self._attempt(run, "reopen", lambda: _reopen(context))
            phase = ticket.phase
        elif phase is Phase.NEW and target in _ENDS and _elsewhere(ticket, group):
            self._attempt(run, "assign", lambda: _assign(context))  # it ends at the row's group
            phase = ticket.phase
        if group is not None:
            current = ticket.group
            if phase in _TIERED and current and group.name != current.name:
                self._move(context, group)
            elif phase is Phase.RESOLVED and current and group.name != current.name:
                self._deviate(
                    run,
                    f"group change on a resolved ticket: {current.name} to {group.name}",
                    f"kept {current.name} (no trigger moves a resolved ticket)",
                )
        self._fields(context)
        self._phase(context, premature_close)
        if step.vendor_text is not None or step.note is not None:
            self._texts(context)


def _context(fields: tuple[Any, ...]) -> StepContext:
    """`StepContext(*fields)` without the named tuple's Python-level `__new__` (once per row)."""
    return tuple.__new__(StepContext, fields)


def _defaults(given: Mapping[str, str] | None) -> tuple[Impact | None, Urgency | None]:
    """The impact and urgency `defaults` gives (`ValidationError` for anything else)."""
    if given is None:
        return None, None
    if not isinstance(given, Mapping):
        raise ValidationError(f"defaults must be a mapping of field to value, got {given!r:.80}")
    for key, value in given.items():
        if key not in _DEFAULTABLE:
            raise ValidationError(
                f"defaults: {key!r:.80} is no field with a default;"
                f" known: {', '.join(_DEFAULTABLE)}"
            )
        if value not in _LEVELS:
            raise ValidationError(
                f"defaults: {key} must be one of {', '.join(_LEVELS)}, got {value!r:.80}"
            )
    impact, urgency = given.get("impact"), given.get("urgency")
    return (
        Impact(impact) if impact is not None else None,
        Urgency(urgency) if urgency is not None else None,
    )


def _elsewhere(ticket: Ticket, group: SupportGroup | None) -> bool:
    """Whether a row names another group than the new ticket's first one."""
    return group is not None and group.name != ticket.owner_group.name


def _ended_change(ticket: Ticket, step: Step, group: SupportGroup | None) -> str | None:
    """What a row on a closed or cancelled ticket would change, which no trigger can."""
    current = ticket.group or ticket.owner_group  # cancelled while new: its owner's
    if group is not None and group.name != current.name:
        return f"group change ({current.name} to {group.name})"
    fields = [
        name
        for name, value, now in zip(
            _FIELDS, _FIELD_VALUES(step), _FIELD_VALUES(ticket), strict=True
        )
        if value is not None and value != now
    ]
    if fields:
        return f"field change ({', '.join(fields)})"
    if step.note is not None or step.vendor_text is not None:
        return "a note"
    return None


def _named_by_reader(tally: Tally, run: _Run) -> None:
    """The case's rows a reader's deviation named (it appends them just before the case)."""
    deviations, case = tally.deviations, run.case
    if not deviations or deviations[-1].ticket_id != case.id:
        return
    lines = {step.line for step in case.steps}
    for deviation in reversed(deviations):
        if deviation.ticket_id != case.id:
            break
        if deviation.line in lines:
            run.deviated.add(deviation.line)
