"""Replay a normalised case through the ticket workflow, recording deviations.

Every imported ticket is built with the library's own triggers (`open`,
`assign`, `start`, `escalate`, `hold`, `resolve`, ...), so it obeys the same
rules as a live one. Each step says which phase the export recorded; the
replay makes the moves that lead there from the ticket's current phase:

=============  ===============================================================
export phase   moves, by the ticket's phase when the step arrives
=============  ===============================================================
new            nothing (a ServiceNow New row with a group means queued)
queued         new: assign; otherwise nothing
in_progress    new: assign + start; queued: start; on hold: resume;
               resolved: reopen
on_hold        new/queued: assign + start + hold; in progress: hold; on hold
               for another reason: change_hold_reason; resolved: reopen + hold
resolved       any open phase: resolve
closed         resolved: close (not while later steps show more activity:
               deviation); open: deviation, repaired by resolve + close
cancelled      any open phase: cancel
=============  ===============================================================

Before the phase move, a changed group moves the ticket between groups: same
tier → `reassign`, one tier up → `escalate` with an imported `Handover`
(only the CI, priority and impact the export has), one tier down →
`hand_back`. Links are added in any phase; changed fields (impact, urgency,
category, CI) are updated while the ticket is open. Every move is made by an
actor named after the export's updater, with the system role. The moves
themselves are in `_moves.py`; this module opens the ticket and walks the
steps.

Before that, the case is vetted against the limits on values (see
`itil_l2.MAX_ID_LENGTH`): a row holding an identifier or a text no ticket can
hold is ignored (a deviation, like any unusable row), a caller that is no
identifier is left out, and a case whose id is none is skipped whole
(`ConformanceError` under `strict`).
"""

from __future__ import annotations

from typing import NoReturn

from itil_l2._core.actor import SYSTEM, Actor, Role
from itil_l2._core.checks import id_fault, text_fault
from itil_l2._core.priority import Impact, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2.errors import ValidationError
from itil_l2.importers._conformance import ConformanceError, Deviation, ImportPolicy, Tally
from itil_l2.importers._groups import GroupDirectory, _inferred_tiers
from itil_l2.importers._moves import (
    _TIERED,
    REPAIR_NOTE,
    Moves,
    StepContext,
    _linker,
    _Run,
    _Skip,
)
from itil_l2.importers._steps import Case, Step
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
_ID_FIELDS = ("actor", "group", "assignee", "category", "subcategory", "l3_name", "l3_reference")
"""The step's values a ticket holds as identifiers (see `itil_l2.MAX_ID_LENGTH`)."""
_TEXT_FIELDS = (
    "raw_state",
    "symptom",
    "resolution_code",
    "resolution_notes",
    "note",
    "vendor_text",
    "instructions",
    "fix",
)
"""The step's values that become a ticket's text (no NUL)."""
_FAULTS_KEPT = 100_000

LINK_COLUMNS = {
    "problem_id": LinkKind.PROBLEM,
    "rfc": LinkKind.CHANGE,
    "caused_by": LinkKind.CAUSED_BY_CHANGE,
}


class Replayer(Moves):
    """Turns cases into tickets under one policy, counting into a `Tally`."""

    def __init__(
        self,
        tally: Tally,
        *,
        policy: ImportPolicy = ImportPolicy.LENIENT,
        groups: GroupDirectory | None = None,
        config: WorkflowConfig | None = None,
        resolution_code: ResolutionCode = SOLVED_PERMANENTLY,
    ) -> None:
        super().__init__()
        self.tally = tally
        self.policy = ImportPolicy(policy)
        self.directory = groups
        self.config = config or WorkflowConfig()
        self.codes = {c.code: c for c in self.config.resolution_codes}
        self.default_code = resolution_code
        self._actors: dict[str, Actor] = {}
        self._groups: dict[tuple[str, Tier, tuple[str, ...]], SupportGroup] = {}
        self._faults: dict[str, str | None] = {}

    # -- one case ------------------------------------------------------------------

    def replay(self, case: Case) -> Ticket | None:
        """The case's ticket, or None when it was skipped (counted in the tally)."""
        tally = self.tally
        tally.incidents += 1
        run = _Run(case, {})
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
            return None
        tally.rows_rejected += run.rejected
        tally.tickets += 1
        return ticket

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

    # -- the limits on values (see `itil_l2.MAX_ID_LENGTH`) ------------------------------

    def _vet(self, run: _Run) -> None:
        """Values the ticket cannot take: a bad id skips the ticket, a bad row is ignored.

        An id must be an identifier; a caller that is none is left out; a row with
        an unusable identifier or text is ignored (a deviation each, as ever).
        """
        case = run.case
        fault = id_fault(case.id)
        if fault is not None:
            self._refuse(run, f"ticket id {fault}")
        fault = text_fault(case.title)
        if fault is not None:
            self._refuse(run, f"title {fault}")
        if case.caller is not None and (fault := self._id_fault(case.caller)) is not None:
            self._deviate(run, f"caller {fault}", "caller left out")
            case.caller = None
        for step in case.steps:
            if step.error is None:
                step.error = self._step_fault(step)

    def _refuse(self, run: _Run, rule: str) -> NoReturn:
        """The whole ticket cannot be imported: `ConformanceError` if strict, else skipped."""
        deviation = Deviation(run.case.id, None, rule, None, self.tally.source)
        if self.policy is ImportPolicy.STRICT:
            raise ConformanceError(deviation)
        raise _Skip(deviation)

    def _id_fault(self, value: str) -> str | None:
        """`id_fault`, once per distinct value (names and refs repeat row after row)."""
        faults = self._faults
        if value in faults:
            return faults[value]
        fault = id_fault(value)
        if len(faults) < _FAULTS_KEPT:
            faults[value] = fault
        return fault

    def _step_fault(self, step: Step) -> str | None:
        """Why a row cannot be used: an identifier or a text it holds is not one."""
        check = self._id_fault
        for name in _ID_FIELDS:
            value = getattr(step, name)
            if value is not None and (fault := check(value)) is not None:
                return f"{name} {fault}"
        refs = (*(step.ci_refs or ()), *step.kb_refs, *(link.ref for link in step.links))
        for ref in refs:
            if (fault := check(ref)) is not None:
                return f"reference {fault}"
        for name in _TEXT_FIELDS:
            value = getattr(step, name)
            if value is not None and (fault := text_fault(value)) is not None:
                return f"{name} {fault}"
        for text in step.specialisations:
            if (fault := text_fault(text)) is not None:
                return f"specialisation {fault}"
        return None

    def _tiers(self, case: Case) -> tuple[dict[str, SupportGroup], str]:
        names = [s.group for s in case.steps if s.group is not None and s.error is None]
        if self.directory is not None:
            unknown = {n for n in names if not self.directory.knows(n)}
            self.tally.figures["group names not in the tier directory"] += len(unknown)
            return {n: self.directory.group(n) for n in names}, "directory"
        given = {s.group: s for s in reversed(case.steps) if s.group and s.tier}
        if given:
            found = {}
            for n in names:
                s = given.get(n)
                specs = s.specialisations if s is not None else ()
                found[n] = self._group(n, s.tier if s and s.tier else Tier.L1, specs)
            return found, "export"
        resolvers, current = [], None
        for s in case.steps:
            current = s.group or current
            if s.phase is Phase.RESOLVED and current is not None and s.error is None:
                resolvers.append(current)
        inferred = _inferred_tiers(names, resolvers)
        return {n: self._group(n, tier) for n, tier in inferred.items()}, "inferred"

    def _group(self, name: str, tier: Tier, specialisations: tuple[str, ...] = ()) -> SupportGroup:
        key = (name, tier, specialisations)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = SupportGroup(name, tier, specialisations)
        return group

    def _actor(self, name: str | None) -> Actor:
        if name is None:
            return SYSTEM
        actor = self._actors.get(name)
        if actor is None:
            actor = self._actors[name] = Actor(name, roles={Role.SYSTEM})
        return actor

    # -- opening ---------------------------------------------------------------------

    def _open(self, run: _Run, step: Step, tier_source: str) -> Ticket:
        case = run.case
        first = next((s.group for s in case.steps if s.group and s.error is None), None)
        owner = run.groups[first] if first is not None else NO_GROUP
        at = step.at if case.opened_at is None else case.opened_at
        assert at is not None  # steps without a time carry an error
        impact, urgency = step.impact, step.urgency
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
        if at < last:
            self._deviate(
                run,
                f"time goes back: {at:%Y-%m-%d %H:%M} is before the previous event",
                f"event time raised to {last:%Y-%m-%d %H:%M}",
            )
            at = ticket.updated_at
        run.at = at
        actor = self._actor(step.actor)
        phase = ticket.phase
        for link in step.links:
            if link not in ticket.links:
                self._attempt(run, "link", _linker(ticket, link, at, actor))
        if phase in _FINAL:
            if step.phase is not phase:
                self._deviate(run, f"activity after {phase.value}", "row ignored")
                run.rejected += 1
            return
        group = run.groups.get(step.group) if step.group is not None else None
        context = StepContext(run, ticket, step, group, at, actor)
        if group is not None and phase in _TIERED:
            current = ticket.group
            if current and group.name != current.name:
                self._move(context, group)
        self._fields(context)
        self._phase(context, premature_close)
        self._texts(context)
