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
actor named after the export's updater, with the system role.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .._actor import SYSTEM, Actor, Role
from .._config import WorkflowConfig
from .._errors import ItilL2Error
from .._handover import Handover, HandoverSource, L3Target, L3TargetKind
from .._hold import HoldReason
from .._priority import Impact, Urgency
from .._resolution import SOLVED_PERMANENTLY, Resolution, ResolutionCode
from .._ticket import Ticket
from .._ticket_fields import Link, LinkKind, Phase
from .._tier import SupportGroup, Tier
from ._conformance import ConformanceError, Deviation, ImportPolicy, Tally
from ._groups import GroupDirectory, infer_tiers
from ._steps import Case, Step

__all__ = ["NO_GROUP", "Replayer"]

NO_GROUP = SupportGroup("(no group)", Tier.L1)
"""The owner group of a ticket whose export names no group at all."""

_TIERED = frozenset({Phase.QUEUED, Phase.IN_PROGRESS, Phase.ON_HOLD})
_OPEN = frozenset({Phase.NEW, *_TIERED})
_NOTABLE = frozenset({*_OPEN, Phase.RESOLVED})
_FIELDS = ("impact", "urgency", "category", "subcategory", "symptom", "ci_refs")
REPAIR_NOTE = "[import repair]"


class _Skip(Exception):
    def __init__(self, deviation: Deviation) -> None:
        super().__init__(str(deviation))
        self.deviation = deviation


class _Run:
    """One case being replayed."""

    __slots__ = ("at", "case", "groups", "rejected", "step", "ticket")

    def __init__(self, case: Case, groups: dict[str, SupportGroup]) -> None:
        self.case = case
        self.groups = groups
        self.ticket: Ticket | None = None
        self.step: Step | None = None
        self.at: datetime | None = None
        self.rejected = 0


class Replayer:
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
        self.tally = tally
        self.policy = ImportPolicy(policy)
        self.directory = groups
        self.config = config or WorkflowConfig()
        self.codes = {c.code: c for c in self.config.resolution_codes}
        self.default_code = resolution_code
        self._actors: dict[str, Actor] = {}
        self._groups: dict[tuple[str, Tier, tuple[str, ...]], SupportGroup] = {}

    # -- one case ------------------------------------------------------------------

    def replay(self, case: Case) -> Ticket | None:
        """The case's ticket, or None when it was skipped (counted in the tally)."""
        tally = self.tally
        tally.incidents += 1
        run = _Run(case, {})
        try:
            ticket = self._replay(run)
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
        run.groups, tier_source = self._tiers(case)
        last_active = max(
            (
                i
                for i, s in enumerate(case.steps)
                if s.error is None and s.phase is not Phase.CLOSED
            ),
            default=-1,
        )
        for index, step in enumerate(case.steps):
            run.step = step
            if step.error is not None:
                self._deviate(run, step.error, "row ignored")
                run.rejected += 1
                continue
            if run.ticket is None:
                run.ticket = self._open(run, step, tier_source)
            self._step(run, step, premature_close=index < last_active)
        if run.ticket is None:
            run.step = None
            raise _Skip(Deviation(case.id, None, "no usable row", None, self.tally.source))
        return run.ticket

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
        inferred = infer_tiers(names, resolvers)
        return {n: self._group(n, g.tier) for n, g in inferred.items()}, "inferred"

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

    # -- deviations ------------------------------------------------------------------

    def _deviate(self, run: _Run, rule: str, repair: str) -> None:
        """Record a deviation per the policy; under lenient, note the repair in the history."""
        step = run.step
        line = step.line if step is not None else None
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

    def _step(self, run: _Run, step: Step, *, premature_close: bool) -> None:
        ticket = run.ticket
        assert ticket is not None
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
        if phase.is_final:
            if step.phase is not phase:
                self._deviate(run, f"activity after {phase.value}", "row ignored")
                run.rejected += 1
            return
        group = run.groups.get(step.group) if step.group is not None else None
        current = ticket.group
        if group is not None and phase in _TIERED and current and group.name != current.name:
            self._move(run, step, group, at, actor)
        self._fields(run, step, at, actor)
        self._phase(run, step, group, at, actor, premature_close)
        self._texts(run, step, at, actor)

    def _texts(self, run: _Run, step: Step, at: datetime, actor: Actor) -> None:
        """Vendor updates and notes the export carries (XES from `write_xes`)."""
        ticket = run.ticket
        assert ticket is not None
        text, note = step.vendor_text, step.note
        if text is not None:
            self._attempt(
                run, "vendor_update", lambda: ticket.vendor_update(text, at=at, actor=actor)
            )
        if note is not None:
            self._attempt(run, "add_note", lambda: ticket.add_note(note, at=at, actor=actor))

    def _move(self, run: _Run, step: Step, group: SupportGroup, at: datetime, actor: Actor) -> None:
        ticket = run.ticket
        assert ticket is not None and ticket.group is not None
        source = ticket.group
        step_up = group.tier.level - source.tier.level
        reason = f"imported: group changed from {source.name} (line {step.line})"
        if step_up == 0:
            self._attempt(
                run, "reassign", lambda: ticket.reassign(group, at=at, actor=actor, reason=reason)
            )
        elif step_up > 0:
            handover = Handover(
                ci_refs=ticket.ci_refs,
                priority=ticket.priority,
                impact=ticket.impact,
                source=HandoverSource.IMPORTED,
            )
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

    def _fields(self, run: _Run, step: Step, at: datetime, actor: Actor) -> None:
        ticket = run.ticket
        assert ticket is not None
        changes: dict[str, Any] = {}
        for name in _FIELDS:
            value = getattr(step, name)
            if value is not None and value != getattr(ticket, name):
                changes[name] = value
        if not changes:
            return
        if ticket.phase not in _OPEN:
            self.tally.figures["field changes on resolved rows (not replayed)"] += 1
            return
        self._attempt(run, "update", lambda: ticket.update(at=at, actor=actor, **changes))

    def _phase(
        self,
        run: _Run,
        step: Step,
        group: SupportGroup | None,
        at: datetime,
        actor: Actor,
        premature_close: bool,
    ) -> None:
        ticket = run.ticket
        assert ticket is not None
        target = step.phase
        phase = ticket.phase

        def assign() -> None:
            first = group or run.groups.get(ticket.owner_group.name, ticket.owner_group)
            reason = None if first.tier is Tier.L1 else f"imported: first group (line {step.line})"
            ticket.assign(first, at=at, actor=actor, reason=reason)

        def start_work() -> None:
            if ticket.phase is Phase.NEW:
                assign()
            if ticket.phase is Phase.QUEUED:
                if step.assignee is not None and step.assignee != actor.id:
                    self._assignee(ticket, step, at, actor)
                ticket.start(at=at, actor=actor)

        def reopen() -> None:
            ticket.reopen(
                f"imported: {step.raw_state} after resolved (line {step.line})", at=at, actor=actor
            )

        if target is Phase.NEW or target is Phase.QUEUED:
            if phase is Phase.NEW and target is Phase.QUEUED:
                self._attempt(run, "assign", assign)
            elif phase is not Phase.NEW and phase is not Phase.QUEUED:
                self.tally.figures["new or queued rows after work began (no move)"] += 1
        elif target is Phase.IN_PROGRESS:
            self._work(run, step, at, actor, start_work, reopen)
        elif target is Phase.ON_HOLD:
            self._hold(run, step, at, actor, start_work, reopen)
        elif target is Phase.RESOLVED:
            if phase in _OPEN:
                self._attempt(
                    run,
                    "resolve",
                    lambda: ticket.resolve(self._resolution(step), at=at, actor=actor),
                )
        elif target is Phase.CLOSED:
            self._close(run, step, at, actor, premature_close)
        elif target is Phase.CANCELLED and phase in _OPEN:
            why = f"imported: {step.raw_state} (line {step.line})"
            self._attempt(run, "cancel", lambda: ticket.cancel(why, at=at, actor=actor))
        if ticket.phase in _TIERED and step.assignee not in (None, ticket.assignee):
            self._attempt(run, "assign_to", lambda: self._assignee(ticket, step, at, actor))

    def _work(
        self,
        run: _Run,
        step: Step,
        at: datetime,
        actor: Actor,
        start_work: Callable[[], None],
        reopen: Callable[[], None],
    ) -> None:
        ticket = run.ticket
        assert ticket is not None
        phase = ticket.phase
        if phase is Phase.NEW or phase is Phase.QUEUED:
            self._attempt(run, "start", start_work)
        elif phase is Phase.ON_HOLD:
            cause = f"imported: {step.raw_state} (line {step.line})"
            self._attempt(run, "resume", lambda: ticket.resume(cause, at=at, actor=actor))
        elif phase is Phase.RESOLVED:
            self._attempt(run, "reopen", reopen)

    @staticmethod
    def _assignee(ticket: Ticket, step: Step, at: datetime, actor: Actor) -> None:
        if step.assignee != ticket.assignee:
            ticket.assign_to(step.assignee, at=at, actor=actor)

    def _hold(
        self,
        run: _Run,
        step: Step,
        at: datetime,
        actor: Actor,
        start_work: Callable[[], None],
        reopen: Callable[[], None],
    ) -> None:
        ticket = run.ticket
        assert ticket is not None
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
                reopen()
            start_work()
            ticket.hold(reason, at=at, actor=actor)

        self._attempt(run, "hold", hold)

    def _close(self, run: _Run, step: Step, at: datetime, actor: Actor, premature: bool) -> None:
        ticket = run.ticket
        assert ticket is not None
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
            if not self._attempt(
                run, "resolve", lambda: ticket.resolve(self._resolution(step), at=at, actor=actor)
            ):
                return
        self._attempt(run, "close", lambda: ticket.close(at=at, actor=actor))

    def _resolution(self, step: Step) -> Resolution:
        raw = step.resolution_code
        code = self.codes.get(raw, self.default_code) if raw is not None else self.default_code
        notes = step.resolution_notes
        if notes is None:
            notes = (
                f"imported, resolution code {raw}" if raw is not None else "resolved in the export"
            )
        return Resolution(code, notes, kb_refs=step.kb_refs)


def _linker(ticket: Ticket, link: Link, at: datetime, actor: Actor) -> Callable[[], None]:
    def action() -> None:
        ticket.link(link.kind, link.ref, at=at, actor=actor)

    return action


def _l3_target(step: Step) -> L3Target | None:
    if step.l3_name is None:
        return None
    return L3Target(step.l3_kind or L3TargetKind.VENDOR, step.l3_name, step.l3_reference)


LINK_COLUMNS = {
    "problem_id": LinkKind.PROBLEM,
    "rfc": LinkKind.CHANGE,
    "caused_by": LinkKind.CAUSED_BY_CHANGE,
}
