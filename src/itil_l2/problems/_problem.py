"""The Problem entity: root cause analysis for recurring or major incidents (ITIL).

A problem runs the same trigger pipeline as a ticket (permissions, time, route,
the trigger's rule from `_rules.RULES`, then exactly one event), so a refused
trigger leaves it untouched; replay runs the same route and rules. Triggers
only build payloads, which check their own values. Two triggers also change
tickets: `link_incident` links the incident back to the problem, and `resolve`
resolves the incidents that wait for the problem. Each tries the ticket
triggers first on throwaway copies, so either everything happens or nothing
does; what depends on those ticket objects is checked live only (replay has
only the problem's own history).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Unpack

import attrs

from itil_l2._core.actor import Actor
from itil_l2._core.chain import Chain
from itil_l2._core.checks import (
    check_instance,
    check_keywords,
    check_optional_text,
    check_text,
    check_texts,
)
from itil_l2._core.entity import Entity
from itil_l2._core.priority import Impact, Priority, Urgency
from itil_l2._core.tier import SupportGroup
from itil_l2.errors import CorruptHistory, ValidationError, WorkflowError
from itil_l2.problems import events as ev
from itil_l2.problems._apply import APPLIERS
from itil_l2.problems._config import ProblemConfig, ProblemResolutionCode
from itil_l2.problems._known_error import KnownError, KnownErrorDetails
from itil_l2.problems._rules import RULES, check_opened
from itil_l2.problems._workflow import WORKFLOW, ProblemPhase, ProblemTrigger
from itil_l2.problems.rca import RcaRecord
from itil_l2.tickets import Link, LinkKind, Phase, Resolution, Ticket

__all__ = ["IncidentLinkedElsewhere", "Problem"]

_DEFAULT_CONFIG = ProblemConfig()


class IncidentLinkedElsewhere(WorkflowError):
    """The incident already belongs to another problem (an incident has one problem)."""

    def __init__(self, ticket_id: str, problem_id: str) -> None:
        super().__init__(
            f"{ticket_id} belongs to problem {problem_id}; pass moved_from={problem_id!r} "
            "to move it (e.g. off a duplicate)"
        )
        self.ticket_id = ticket_id
        self.problem_id = problem_id


@attrs.define(frozen=True, eq=False, init=False, repr=False)
class Problem(Entity[ev.ProblemEvent]):  # type: ignore[override]  # attrs: no __init__ either way
    """A problem: the unknown cause of one or more incidents, its RCA, workaround and fix.

    Create one with `Problem.open`, move it with its trigger methods, rebuild
    it with `Problem.from_history`. Fields are read-only.

    >>> from datetime import datetime, timezone
    >>> from itil_l2 import Actor, Impact, Role, Urgency
    >>> from itil_l2 import Problem
    >>> pat = Actor("pat", roles={Role.PROBLEM_MANAGER})
    >>> t0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    >>> p = Problem.open(id="PRB-1", statement="Order app loses its database nightly",
    ...                  impact=Impact.HIGH, urgency=Urgency.MEDIUM, at=t0, actor=pat)
    >>> p.assess(at=t0, actor=pat)
    >>> p.publish_workaround("restart the listener", at=t0, actor=pat)
    >>> p.phase.value, p.priority.name, p.workaround, p.version
    ('assess', 'P2', 'restart the listener', 3)
    """

    # what it is about
    statement: str
    description: str
    impact: Impact
    urgency: Urgency
    priority: Priority
    category: str | None
    service: str | None
    ci_refs: tuple[str, ...]
    # who works on it, and how far they are
    group: SupportGroup | None
    assignee: str | None
    rca: RcaRecord | None
    workaround: str | None
    known_error: KnownError | None
    incident_ids: Chain[str]
    """The linked incidents, in the order linked (reads like a tuple; grows in O(1))."""
    fix_change_ref: str | None
    resolution: ev.ProblemResolution | None
    resolved_at: datetime | None
    config: ProblemConfig

    _WORKFLOW = WORKFLOW
    _EVENT = ev.ProblemEvent
    _KIND = "problem"
    _APPLIERS = APPLIERS
    _RULES = RULES
    _DEFAULT = _DEFAULT_CONFIG

    # -- creation and replay -------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        id: str,
        statement: str,
        impact: Impact,
        urgency: Urgency,
        at: datetime,
        actor: Actor,
        description: str = "",
        category: str | None = None,
        service: str | None = None,
        ci_refs: Iterable[str] = (),
        group: SupportGroup | None = None,
        config: ProblemConfig = _DEFAULT_CONFIG,
    ) -> Problem:
        """Log a new problem; its priority comes from the config's priority matrix."""
        check_text(id, "id")
        check_instance(config, ProblemConfig, "config")
        payload = ev.ProblemOpened(
            statement=statement,
            description=description,
            category=category,
            service=service,
            ci_refs=check_texts(ci_refs, "ci_refs"),  # any iterable, stored as a tuple
            impact=check_instance(impact, Impact, "impact"),
            urgency=check_instance(urgency, Urgency, "urgency"),
            priority=config.priority_matrix.priority(impact, urgency),
            group=group,
        )
        return cls._created(id, payload, at, actor, config)

    @classmethod
    def from_history(
        cls, events: Iterable[ev.ProblemEvent], *, config: ProblemConfig = _DEFAULT_CONFIG
    ) -> Problem:
        """Rebuild a problem by replaying its events; `CorruptHistory` if they do not replay."""
        return cls._replayed(events, config)

    @classmethod
    def _first(cls, event: ev.ProblemEvent, config: ProblemConfig) -> Problem:
        payload = event.payload
        if not isinstance(payload, ev.ProblemOpened):
            raise CorruptHistory("a problem history starts with a ProblemOpened event")
        check_opened(event.entity_id, payload, config)
        fields = [(f.name, getattr(payload, f.name)) for f in attrs.fields(ev.ProblemOpened)]
        fields += [*_BLANK, ("incident_ids", Chain()), ("id", event.entity_id), ("config", config)]
        return cls._start(event, fields)

    # -- derived facts -------------------------------------------------------------

    @property
    def phase(self) -> ProblemPhase:
        """new, assess, root_cause_analysis, fix_in_progress, resolved, closed, cancelled."""
        return ProblemPhase(self.state)

    def allowed_triggers(self) -> tuple[ProblemTrigger, ...]:
        """The triggers the workflow allows now (conditions and permissions still apply)."""
        return WORKFLOW.allowed_triggers(self.state)

    def __repr__(self) -> str:
        return f"<Problem {self.id} {self.state} {self.priority.name} v{self.version}>"

    # -- triggers --------------------------------------------------------------------

    def assign(
        self, group: SupportGroup, *, at: datetime, actor: Actor, assignee: str | None = None
    ) -> None:
        """Give the problem to a group (its members may then work it) and perhaps an analyst.

        The group or the analyst must change.
        """
        self._fire(ev.ProblemAssigned(group, assignee), at, actor)

    def assess(self, *, at: datetime, actor: Actor) -> None:
        """Take a new problem up: is it real, how bad, worth an analysis?"""
        self._fire(ev.ProblemAssessed(), at, actor)

    def start_analysis(self, *, at: datetime, actor: Actor) -> None:
        """Begin root cause analysis."""
        self._fire(ev.ProblemAnalysisStarted(), at, actor)

    def record_rca(self, rca: RcaRecord, *, at: datetime, actor: Actor) -> None:
        """Record the RCA as it now stands (replaces the previous record; must differ)."""
        self._fire(ev.ProblemRcaRecorded(rca), at, actor)

    def start_fix(self, *, at: datetime, actor: Actor, change_ref: str | None = None) -> None:
        """Start the permanent fix (e.g. through change `change_ref`); needs a root cause."""
        self._fire(ev.ProblemFixStarted(change_ref), at, actor)

    def publish_workaround(self, text: str, *, at: datetime, actor: Actor) -> None:
        """Publish (or replace) the workaround that linked and matching tickets can use."""
        self._fire(ev.ProblemWorkaroundPublished(text), at, actor)

    def add_note(self, text: str, *, at: datetime, actor: Actor) -> None:
        """Add a work note."""
        self._fire(ev.ProblemNoteAdded(text), at, actor)

    def reanalyze(self, reason: str, *, at: datetime, actor: Actor) -> None:
        """Go back to root cause analysis; a resolved problem loses its resolution."""
        self._fire(ev.ProblemReanalyzed(reason), at, actor)

    def close(self, *, at: datetime, actor: Actor) -> None:
        """Close a resolved problem."""
        self._fire(ev.ProblemClosed(), at, actor)

    def cancel(self, reason: str, *, at: datetime, actor: Actor) -> None:
        """Withdraw an open problem."""
        self._fire(ev.ProblemCancelled(reason), at, actor)

    def raise_known_error(
        self, id: str, *, at: datetime, actor: Actor, **details: Unpack[KnownErrorDetails]
    ) -> KnownError:
        """Publish the problem as a known error (once; needs a root cause and a workaround).

        Returns the KEDB entry for the host to store; the problem keeps it too.
        """
        check_keywords(details, KnownErrorDetails.__annotations__, "Problem.raise_known_error")
        self._authorize(actor, ProblemTrigger.RAISE_KNOWN_ERROR)  # before reading the RCA
        known = KnownError.from_problem(self, id=id, **details)
        self._fire(ev.ProblemKnownErrorRaised(known), at, actor)
        return known

    def link_incident(
        self, ticket: Ticket, *, at: datetime, actor: Actor, moved_from: str | None = None
    ) -> None:
        """Link an incident (in any phase, closed too) to this problem, in both histories.

        An incident has one problem: linking one that belongs to another
        problem raises `IncidentLinkedElsewhere` unless `moved_from` names
        that problem (moving incidents off a duplicate). A ticket already
        linked to this problem from its own side is adopted without a second
        ticket event. The ticket's `link` is tried on a copy first, so a
        refusal on either side changes neither.

        Linking an incident twice is the rule's (`DuplicateLink`, on replay
        too); what depends on the `Ticket` object (its kind, the problem it
        belongs to, whether its own `link` accepts) is checked live only:
        the stored event names the ticket's id, not the ticket.
        """
        check_instance(ticket, Ticket, "ticket")
        moved_from = check_optional_text(moved_from, "moved_from")
        current = next(
            (link.ref for link in reversed(ticket.links) if link.kind is LinkKind.PROBLEM), None
        )
        adopt = current == self.id

        def live() -> None:
            if ticket.kind not in self.config.linkable_kinds:
                raise ValidationError(f"{ticket.id} is a {ticket.kind}; problems link incidents")
            if moved_from is not None and current != moved_from:
                raise ValidationError(f"{ticket.id} does not belong to problem {moved_from}")
            if current not in (None, self.id, moved_from):
                raise IncidentLinkedElsewhere(ticket.id, current)
            if not adopt:
                copy.copy(ticket).link(LinkKind.PROBLEM, self.id, at=at, actor=actor)

        self._fire(ev.ProblemIncidentLinked(ticket.id, moved_from), at, actor, live)
        if not adopt:
            ticket.link(LinkKind.PROBLEM, self.id, at=at, actor=actor)

    def resolve(
        self,
        code: ProblemResolutionCode,
        notes: str,
        *,
        at: datetime,
        actor: Actor,
        incidents: Iterable[Ticket] = (),
        duplicate_of: str | None = None,
    ) -> tuple[Ticket, ...]:
        """Resolve the problem and the given incidents that wait for it; returns those.

        Among `incidents`, exactly the ones linked to this problem and on hold
        for the configured reason (awaiting problem) are resolved, each with
        a `Resolution` whose `problem_ref` is this problem and whose code is
        the problem code's `incident_code`. The actor resolves them with the
        config's `incident_resolver_role` added (problem manager by default).
        A code that requires an RCA needs a complete one (`RcaIncomplete`).
        Everything is checked before anything changes; save the returned
        tickets with the problem in one unit of work.

        The code, the duplicate and the resolved incidents' ids are the
        rule's (on replay too); whether each `Ticket` object waits for this
        problem and accepts its own `resolve` is checked live only.
        """
        resolution = ev.ProblemResolution(code, notes, duplicate_of)
        check_instance(actor, Actor, "actor")
        waiting = self._waiting(incidents)
        resolver = attrs.evolve(actor, roles=actor.roles | {self.config.incident_resolver_role})
        fix = None
        if code.incident_code is not None:
            text = f"Resolved with problem {self.id}: {notes}"
            fix = Resolution(code.incident_code, text, problem_ref=self.id)

        def live() -> None:
            if fix is not None:
                for ticket in waiting:
                    copy.copy(ticket).resolve(fix, at=at, actor=resolver)

        payload = ev.ProblemResolved(resolution, tuple(t.id for t in waiting))
        self._fire(payload, at, actor, live)
        if fix is not None:
            for ticket in waiting:
                ticket.resolve(fix, at=at, actor=resolver)
        return waiting

    # -- helpers ---------------------------------------------------------------------

    def _waiting(self, incidents: Iterable[Ticket]) -> tuple[Ticket, ...]:
        """The given tickets that are linked here and on hold awaiting this problem."""
        if isinstance(incidents, (Ticket, str)) or not isinstance(incidents, Iterable):
            raise ValidationError(f"incidents must be an iterable of tickets, got {incidents!r}")
        seen: dict[str, Ticket] = {}
        for ticket in incidents:
            check_instance(ticket, Ticket, "incidents")
            if seen.setdefault(ticket.id, ticket) is not ticket:
                raise ValidationError(f"two different tickets named {ticket.id}")
        mine = Link(LinkKind.PROBLEM, self.id)
        return tuple(
            t
            for t in seen.values()
            if t.id in self.incident_ids
            and mine in t.links
            and t.phase is Phase.ON_HOLD
            and t.hold_reason == self.config.awaiting_reason
        )


_BLANK: tuple[tuple[str, Any], ...] = (
    ("assignee", None),
    ("rca", None),
    ("workaround", None),
    ("known_error", None),
    ("fix_change_ref", None),
    ("resolution", None),
    ("resolved_at", None),
    ("state", "new"),
)
