"""The Ticket entity: an incident or service request moving through L1→L2→L3.

State changes only through trigger methods. Each trigger validates its input,
asks the permissions policy (first, so a refused actor learns nothing of the
ticket's state), checks time, routes through the compiled workflow, checks the
trigger's own rules, and only then appends exactly one event and applies it,
so a refused trigger leaves the ticket untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from itil_l2._core.actor import Actor
from itil_l2._core.chain import Chain
from itil_l2._core.checks import (
    check_instance,
    check_text,
)
from itil_l2._core.entity import Entity
from itil_l2._core.priority import Impact, Priority, Urgency
from itil_l2._core.tier import SupportGroup, Tier
from itil_l2._core.time import ensure_aware
from itil_l2._core.unset import UNSET, Unset
from itil_l2.errors import (
    CorruptHistory,
)
from itil_l2.tickets import events as ev
from itil_l2.tickets._apply import APPLIERS
from itil_l2.tickets._config import WorkflowConfig
from itil_l2.tickets._fields import Channel, Link, LinkKind, NoteVisibility, TicketKind
from itil_l2.tickets._handover import Handover, HandoverSource, L3Target
from itil_l2.tickets._hold import HoldReason
from itil_l2.tickets._resolution import Resolution
from itil_l2.tickets._rules import RULES, check_opened, imported_handover
from itil_l2.tickets._values import FIELD_CHECKS, field_changes, initial_fields, opened
from itil_l2.tickets._workflow import PHASE_OF, WORKFLOW, Phase, Trigger

__all__ = ["Ticket"]

_set = object.__setattr__
_DEFAULT_CONFIG = WorkflowConfig()


@attrs.define(frozen=True, eq=False, init=False, repr=False)
class Ticket(Entity[ev.TicketEvent]):  # type: ignore[override]  # attrs: no __init__ either way
    """An incident or service request with its tier, phase and full history.

    Create one with `Ticket.open`, move it with its trigger methods, rebuild
    it with `Ticket.from_history`. Fields are read-only; `version` counts
    the events in `history`.

    >>> from datetime import datetime, timezone
    >>> from itil_l2 import Actor, Impact, SupportGroup, Tier, Urgency
    >>> desk = SupportGroup("service-desk", Tier.L1)
    >>> agent = Actor("ann", groups={"service-desk"})
    >>> t = Ticket.open(id="INC-1", title="VPN down", impact=Impact.MEDIUM,
    ...                 urgency=Urgency.HIGH, owner_group=desk,
    ...                 at=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), actor=agent)
    >>> t.assign(desk, at=datetime(2026, 1, 5, 9, 1, tzinfo=timezone.utc), actor=agent)
    >>> t.phase.value, t.tier.value, t.priority.name, t.version
    ('queued', 'L1', 'P2', 2)
    """

    # what it is about
    kind: TicketKind
    title: str
    description: str
    symptom: str | None
    category: str | None
    subcategory: str | None
    service: str | None
    ci_refs: tuple[str, ...]
    attributes: Mapping[str, Any]
    # who logged it, how, and the desk that owns it
    caller: str | None
    channel: Channel
    owner_group: SupportGroup
    # how urgent it is
    impact: Impact
    urgency: Urgency
    priority: Priority
    major_incident: bool
    # where it is now
    group: SupportGroup | None
    assignee: str | None
    hold_reason: HoldReason | None
    l3_target: L3Target | None
    handover: Handover | None
    resolution: Resolution | None
    resolved_at: datetime | None
    duplicate_of: str | None
    links: Chain[Link]
    """Every link, in the order added (reads like a tuple; grows in O(1))."""
    reassignment_count: int
    reopen_count: int
    escalation_count: int
    config: WorkflowConfig

    _WORKFLOW = WORKFLOW
    _EVENT = ev.TicketEvent
    _KIND = "ticket"
    _APPLIERS = APPLIERS
    _RULES = RULES
    _DEFAULT = _DEFAULT_CONFIG

    # -- creation and replay -------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        id: str,
        title: str,
        impact: Impact,
        urgency: Urgency,
        owner_group: SupportGroup,
        at: datetime,
        actor: Actor,
        description: str = "",
        caller: str | None = None,
        kind: TicketKind = TicketKind.INCIDENT,
        channel: Channel = Channel.PHONE,
        service: str | None = None,
        category: str | None = None,
        subcategory: str | None = None,
        symptom: str | None = None,
        ci_refs: Iterable[str] = (),
        major_incident: bool = False,
        attributes: Mapping[str, Any] | None = None,
        config: WorkflowConfig = _DEFAULT_CONFIG,
    ) -> Ticket:
        """Log a new ticket; its priority comes from the config's priority matrix."""
        given = {k: v for k, v in locals().items() if k in FIELD_CHECKS}  # the ticket's fields
        check_text(id, "id")
        check_instance(config, WorkflowConfig, "config")
        payload = opened(given, config)
        return cls._created(id, payload, at, actor, config)

    @classmethod
    def from_history(
        cls, events: Iterable[ev.TicketEvent], *, config: WorkflowConfig = _DEFAULT_CONFIG
    ) -> Ticket:
        """Rebuild a ticket exactly by replaying its events through the workflow.

        Raises `CorruptHistory` when the events do not form one legal history.
        The rebuilt ticket has no pending events.
        """
        return cls._replayed(events, config)

    @classmethod
    def _first(cls, event: ev.TicketEvent, config: WorkflowConfig) -> Ticket:
        """A ticket whose history is just its Opened event."""
        if not isinstance(event.payload, ev.Opened):
            raise CorruptHistory("a ticket history starts with an Opened event")
        check_opened(event.entity_id, event.payload, config)
        return cls._start(event, initial_fields(event.entity_id, event.payload, config))

    # -- derived facts -------------------------------------------------------

    @property
    def phase(self) -> Phase:
        """new, queued, in_progress, on_hold, resolved, closed or cancelled."""
        return PHASE_OF[self.state]

    @property
    def tier(self) -> Tier:
        """The assigned group's tier; while unassigned, the owner group's."""
        return (self.group or self.owner_group).tier

    def allowed_triggers(self) -> tuple[Trigger, ...]:
        """The triggers the workflow allows from the current phase and tier.

        Conditions (target tier, vendor target) and permissions still apply.
        """
        return WORKFLOW.allowed_triggers(self.state)

    def auto_close_due(self, at: datetime) -> bool:
        """Whether a resolved ticket's auto-close period has passed at `at`."""
        ensure_aware(at)
        if self.resolved_at is None or self.phase is not Phase.RESOLVED:
            return False
        return at - self.resolved_at >= self.config.auto_close_after

    def __repr__(self) -> str:
        return (
            f"<Ticket {self.id} {self.phase.value} at {self.tier.value} "
            f"{self.priority.name} v{self.version}>"
        )

    # -- triggers --------------------------------------------------------------

    def assign(
        self, group: SupportGroup, *, at: datetime, actor: Actor, reason: str | None = None
    ) -> None:
        """Send a new ticket to its first group (queued there).

        Entering above L1 follows `WorkflowConfig.entry_above_l1`: by default
        it needs a `reason` (e.g. "monitoring alert", "major incident"),
        which the event records.
        """
        self._fire(ev.Assigned(group, reason), at, actor)

    def assign_to(self, assignee: str | None, *, at: datetime, actor: Actor) -> None:
        """Give the ticket to an agent of its group (None: nobody). Not a reassignment."""
        self._fire(ev.AssigneeSet(assignee), at, actor)

    def start(self, *, at: datetime, actor: Actor) -> None:
        """Start work on a queued ticket; an unassigned ticket goes to the actor."""
        if not isinstance(actor, Actor):  # before reading its id
            check_instance(actor, Actor, "actor")
        self._fire(ev.Started(self.assignee or actor.id), at, actor)

    def requeue(self, *, at: datetime, actor: Actor, reason: str | None = None) -> None:
        """Stop work and put the ticket back in its group's queue, nobody holding it.

        The same group takes it up again later (`start`); the time until then
        is queue time, not work time. Not a reassignment: the group stays.
        """
        self._fire(ev.Requeued(reason), at, actor)

    def reassign(
        self, group: SupportGroup, *, at: datetime, actor: Actor, reason: str | None = None
    ) -> None:
        """Move the ticket to another group of the same tier; counts a reassignment."""
        self._fire(ev.Reassigned(group, reason), at, actor)

    def escalate(
        self,
        group: SupportGroup,
        handover: Handover,
        *,
        at: datetime,
        actor: Actor,
        target: L3Target | None = None,
    ) -> None:
        """Escalate to the next tier with a complete handover (and, to L3, a target).

        An incomplete handover raises `IncompleteHandover` naming every
        missing part. Imported handovers hold only what an export had; only
        the system actor may submit them.
        """
        payload = ev.Escalated(group, handover, target)
        if handover.source is HandoverSource.IMPORTED:  # what `imported_handover` looks at
            self._fire(payload, at, actor, lambda: imported_handover(self, payload, actor))
        else:
            self._fire(payload, at, actor)

    def hand_back(
        self,
        group: SupportGroup,
        instructions: str,
        *,
        at: datetime,
        actor: Actor,
        fix: str | None = None,
    ) -> None:
        """Return the ticket one tier down, e.g. "solve with KB-123"; L3 may add a fix."""
        self._fire(ev.HandedBack(group, instructions, fix), at, actor)

    def hold(self, reason: HoldReason, *, at: datetime, actor: Actor) -> None:
        """Pause work for a configured reason."""
        self._fire(ev.Held(reason), at, actor)

    def change_hold_reason(self, reason: HoldReason, *, at: datetime, actor: Actor) -> None:
        """Stay on hold for another reason (e.g. the caller answered, now the vendor)."""
        self._fire(ev.HoldReasonChanged(self.hold_reason or reason, reason), at, actor)

    def resume(self, cause: str, *, at: datetime, actor: Actor) -> None:
        """Resume work on a held ticket; `cause` says what ended the wait."""
        self._fire(ev.Resumed(cause), at, actor)

    def vendor_update(
        self,
        text: str,
        *,
        at: datetime,
        actor: Actor,
        status: str | None = None,
        ref: str | None = None,
    ) -> None:
        """Record progress from the L3 vendor; `ref` updates the vendor's case reference."""
        self._fire(ev.VendorUpdated(text, status, ref), at, actor)

    def add_note(
        self,
        text: str,
        *,
        at: datetime,
        actor: Actor,
        visibility: NoteVisibility = NoteVisibility.WORK_NOTE,
    ) -> None:
        """Add a work note (internal) or a comment (visible to the caller)."""
        self._fire(ev.NoteAdded(text, visibility), at, actor)

    def update(
        self,
        *,
        at: datetime,
        actor: Actor,
        title: str | Unset = UNSET,
        description: str | Unset = UNSET,
        caller: str | Unset | None = UNSET,
        channel: Channel | Unset = UNSET,
        service: str | Unset | None = UNSET,
        category: str | Unset | None = UNSET,
        subcategory: str | Unset | None = UNSET,
        symptom: str | Unset | None = UNSET,
        ci_refs: Iterable[str] | Unset = UNSET,
        impact: Impact | Unset = UNSET,
        urgency: Urgency | Unset = UNSET,
        major_incident: bool | Unset = UNSET,
        attributes: Mapping[str, Any] | Unset = UNSET,
    ) -> None:
        """Change fields; the event holds old and new values, priority is recomputed.

        Fields left out stay as they are; an update that changes nothing is refused.
        """
        self._authorize(actor, Trigger.UPDATE)  # before reading the fields it compares
        given = {
            "title": title,
            "description": description,
            "caller": caller,
            "channel": channel,
            "service": service,
            "category": category,
            "subcategory": subcategory,
            "symptom": symptom,
            "ci_refs": ci_refs,
            "impact": impact,
            "urgency": urgency,
            "major_incident": major_incident,
            "attributes": attributes,
        }
        self._fire(ev.Updated(field_changes(self, given)), at, actor)

    def resolve(self, resolution: Resolution, *, at: datetime, actor: Actor) -> None:
        """Resolve with a configured resolution code.

        From new or queued (nobody started work) this is a first-contact
        resolution in the KPI sense.
        """
        self._fire(ev.Resolved(resolution), at, actor)

    def reopen(self, reason: str, *, at: datetime, actor: Actor) -> None:
        """Reopen a resolved ticket at its tier; counts a reopen."""
        self._fire(ev.Reopened(reason), at, actor)

    def close(self, *, at: datetime, actor: Actor) -> None:
        """Close a resolved ticket (see `auto_close_due` for the automatic case)."""
        self._fire(ev.Closed(), at, actor)

    def cancel(
        self, reason: str, *, at: datetime, actor: Actor, duplicate_of: str | None = None
    ) -> None:
        """Withdraw an open ticket, perhaps as a duplicate of another one."""
        self._fire(ev.Cancelled(reason, duplicate_of), at, actor)

    def link(self, kind: LinkKind, ref: str, *, at: datetime, actor: Actor) -> None:
        """Link a problem, change, article, parent or child; allowed in every phase.

        Links never change the phase or any other field but `links`.
        """
        self._fire(ev.Linked(Link(kind, ref)), at, actor)

    # -- helpers ---------------------------------------------------------------

    @property
    def parent(self) -> str | None:
        """The parent ticket (e.g. the major incident) this ticket is linked to."""
        return next((link.ref for link in self.links if link.kind is LinkKind.PARENT), None)

    @property
    def children(self) -> tuple[str, ...]:
        """Child tickets linked to this one."""
        return tuple(link.ref for link in self.links if link.kind is LinkKind.CHILD)
