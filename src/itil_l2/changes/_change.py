"""The ChangeRequest entity: a request for change (RFC) raised from a problem or ticket.

State changes only through trigger methods, each running the entity
pipeline (permissions, time, route, the trigger's rule from `_rules.RULES`,
one event), so a refused trigger leaves the RFC untouched; replay runs the
same rules. Triggers only build payloads. The change type chooses the
path (see `_change_workflow`), the risk chooses the approving board (see
`ChangeConfig`), and the outcome of the implementation says whether the
RFC fixed the problems it was raised for.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from itil_l2._core.actor import Actor
from itil_l2._core.chain import Chain
from itil_l2._core.checks import check_instance, check_text
from itil_l2._core.entity import Entity
from itil_l2._core.tier import SupportGroup
from itil_l2.changes import events as ev
from itil_l2.changes._apply import APPLIERS
from itil_l2.changes._config import ChangeConfig
from itil_l2.changes._rules import RULES, check_decider, check_raised
from itil_l2.changes._workflow import (
    WORKFLOW,
    ChangeState,
    ChangeTrigger,
    ChangeType,
    open_triggers,
)
from itil_l2.changes.events import (
    Approval,
    ApprovalBoard,
    ChangeLink,
    ChangeLinkKind,
    ChangeOutcome,
    ChangeRisk,
)
from itil_l2.errors import CorruptHistory, DuplicateLink
from itil_l2.tickets import Link, LinkKind, Ticket

__all__ = ["ChangeRequest"]

_DEFAULT_CONFIG = ChangeConfig()
_STATE = {s.value: s for s in ChangeState}


@attrs.define(frozen=True, eq=False, init=False, repr=False)
class ChangeRequest(Entity[ev.ChangeEvent]):  # type: ignore[override]  # attrs: no __init__
    """A request for change with its type, risk, approvals, schedule and outcome.

    Create one with `ChangeRequest.raise_` (pass a `Ticket` as `raised_from`
    to link both sides at once), move it with its trigger methods, rebuild it
    with `ChangeRequest.from_history`. `fixes` names the problems it is
    linked to; once `successful`, the problem side may record it as the fix.

    >>> from datetime import datetime, timedelta, timezone
    >>> from itil_l2 import Actor, SupportGroup, Tier
    >>> from itil_l2.changes.events import (
    ...     ApprovalBoard, ChangeLink, ChangeLinkKind, ChangeOutcome, ChangeRisk)
    >>> from itil_l2.changes import ChangeType
    >>> t0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    >>> dba = SupportGroup("database-l2", Tier.L2)
    >>> bob = Actor("bob", groups={"database-l2"})
    >>> rfc = ChangeRequest.raise_(
    ...     id="CHG-1", title="Rebuild the order index", change_type=ChangeType.NORMAL,
    ...     risk=ChangeRisk.HIGH, group=dba, at=t0, actor=bob,
    ...     raised_from=ChangeLink(ChangeLinkKind.PROBLEM, "PRB-7"))
    >>> rfc.submit(at=t0 + timedelta(minutes=1), actor=bob)
    >>> manager = Actor("carl", roles={"change_manager"})
    >>> rfc.request_approval(at=t0 + timedelta(hours=1), actor=manager)
    >>> cab = Actor("cara", roles={"cab_member"})
    >>> rfc.approve(ApprovalBoard.CAB, at=t0 + timedelta(days=1), actor=cab)
    >>> rfc.schedule(t0 + timedelta(days=2), t0 + timedelta(days=2, hours=2),
    ...              at=t0 + timedelta(days=1, minutes=5), actor=manager)
    >>> rfc.implement(at=t0 + timedelta(days=2, minutes=5), actor=bob)
    >>> rfc.complete(ChangeOutcome.SUCCESSFUL, at=t0 + timedelta(days=2, hours=1), actor=bob)
    >>> rfc.close(at=t0 + timedelta(days=3), actor=manager)
    >>> rfc.phase.value, rfc.successful, rfc.fixes, rfc.kept_window, rfc.version
    ('closed', True, ('PRB-7',), True, 8)
    """

    change_type: ChangeType
    title: str
    description: str
    risk: ChangeRisk
    group: SupportGroup
    raised_from: ChangeLink | None
    requested_by: str
    links: Chain[ChangeLink]
    approvals: tuple[Approval, ...]
    rejection: Approval | None
    planned_start: datetime | None
    planned_end: datetime | None
    implementation_started_at: datetime | None
    implementation_ended_at: datetime | None
    outcome: ChangeOutcome | None
    outcome_notes: str | None
    close_notes: str | None
    cancel_reason: str | None
    config: ChangeConfig

    _WORKFLOW = WORKFLOW
    _EVENT = ev.ChangeEvent
    _KIND = "change"
    _APPLIERS = APPLIERS
    _RULES = RULES
    _DEFAULT = _DEFAULT_CONFIG

    # -- creation and replay -------------------------------------------------

    @classmethod
    def raise_(
        cls,
        *,
        id: str,
        title: str,
        change_type: ChangeType,
        risk: ChangeRisk,
        group: SupportGroup,
        at: datetime,
        actor: Actor,
        description: str = "",
        raised_from: ChangeLink | Ticket | None = None,
        config: ChangeConfig = _DEFAULT_CONFIG,
    ) -> ChangeRequest:
        """Raise a new RFC (anyone may, like logging a ticket); it starts in new.

        `raised_from` names the problem or ticket it solves and becomes the
        RFC's first link. Given a `Ticket` itself, the ticket is linked back
        (`LinkKind.CHANGE`) in the same step: if the ticket refuses the link
        (permissions, time order), the error propagates and no RFC exists.
        A problem is named by a `ChangeLink`; linking the problem back is the
        host's step on the problem side.
        """
        ticket: Ticket | None
        source: ChangeLink | None
        if isinstance(raised_from, Ticket):
            ticket, source = raised_from, ChangeLink(ChangeLinkKind.TICKET, raised_from.id)
        else:
            ticket, source = None, raised_from
        check_text(id, "id")
        check_instance(config, ChangeConfig, "config")
        payload = ev.ChangeRaised(change_type, title, description, risk, group, source)
        rfc = cls._created(id, payload, at, actor, config)
        if ticket is not None and Link(LinkKind.CHANGE, id) not in ticket.links:
            ticket.link(LinkKind.CHANGE, id, at=at, actor=actor)
        return rfc

    @classmethod
    def from_history(
        cls, events: Iterable[ev.ChangeEvent], *, config: ChangeConfig = _DEFAULT_CONFIG
    ) -> ChangeRequest:
        """Rebuild an RFC exactly by replaying its events through the workflow.

        Raises `CorruptHistory` when the events do not form one legal history
        under `config` (approvals are judged by the config's rules).
        """
        return cls._replayed(events, config)

    @classmethod
    def _first(cls, event: ev.ChangeEvent, config: ChangeConfig) -> ChangeRequest:
        payload = event.payload
        if not isinstance(payload, ev.ChangeRaised):
            raise CorruptHistory("a change request history starts with a ChangeRaised event")
        check_raised(event.entity_id, payload, config)
        fields = [(f.name, getattr(payload, f.name)) for f in attrs.fields(ev.ChangeRaised)]
        links = Chain(() if payload.raised_from is None else (payload.raised_from,))
        fields += [
            *ev.BLANK_FIELDS,
            ("id", event.entity_id),
            ("requested_by", event.actor_id),
            ("links", links),
            ("config", config),
        ]
        return cls._start(event, fields)

    # -- derived facts -------------------------------------------------------

    @property
    def phase(self) -> ChangeState:
        """The workflow state as a `ChangeState`."""
        return _STATE[self.state]

    @property
    def required_board(self) -> ApprovalBoard:
        """The board whose approval the current risk demands (standard: pre-approved)."""
        return self.config.required_board(self.risk)

    @property
    def authorized(self) -> bool:
        """Pre-approved (standard) or approved by the board its risk demands."""
        if self.change_type is ChangeType.STANDARD:
            return True
        return self.config.missing_approvals(self.risk, self.approvals) == 0

    @property
    def fixes(self) -> tuple[str, ...]:
        """The problems this RFC is meant to fix: every problem it is linked to."""
        return tuple(link.ref for link in self.links if link.kind is ChangeLinkKind.PROBLEM)

    @property
    def tickets(self) -> tuple[str, ...]:
        """The tickets this RFC is linked to."""
        return tuple(link.ref for link in self.links if link.kind is ChangeLinkKind.TICKET)

    @property
    def successful(self) -> bool:
        """Implemented with a successful outcome: the problems in `fixes` may count it as fix."""
        return self.outcome is ChangeOutcome.SUCCESSFUL

    @property
    def started_in_window(self) -> bool | None:
        """Whether implementation began inside the planned window (None: not begun)."""
        return self._in_window(self.implementation_started_at)

    @property
    def ended_in_window(self) -> bool | None:
        """Whether implementation ended inside the planned window (None: not ended)."""
        return self._in_window(self.implementation_ended_at)

    @property
    def kept_window(self) -> bool | None:
        """Began and ended inside the planned window (None until it ended)."""
        if self.implementation_ended_at is None:
            return None
        return bool(self.started_in_window and self.ended_in_window)

    def decisions(self) -> tuple[Approval, ...]:
        """Every approval and rejection ever recorded, oldest first (all rounds)."""
        return ev.decisions(self.history)

    def allowed_triggers(self) -> tuple[ChangeTrigger, ...]:
        """Triggers the workflow allows now, type and approval conditions included.

        Permissions and the triggers' own checks still apply.
        """
        return open_triggers(self)

    def __repr__(self) -> str:
        return (
            f"<ChangeRequest {self.id} {self.change_type.value} {self.state} "
            f"{self.risk.value} v{self.version}>"
        )

    def _in_window(self, moment: datetime | None) -> bool | None:
        if moment is None or self.planned_start is None or self.planned_end is None:
            return None
        return self.planned_start <= moment <= self.planned_end

    # -- triggers --------------------------------------------------------------

    def submit(self, *, at: datetime, actor: Actor) -> None:
        """Hand a new RFC to change management: normal → assess, emergency → authorize."""
        self._fire(ev.ChangeSubmitted(), at, actor)

    def set_risk(
        self, risk: ChangeRisk, *, at: datetime, actor: Actor, reason: str | None = None
    ) -> None:
        """Reassess the risk while new or in assessment (it decides the approving board).

        The risk must change, and a standard change keeps a risk of the
        config's `standard_risks`.
        """
        self._fire(ev.ChangeRiskSet(self.risk, risk, reason), at, actor)

    def request_approval(self, *, at: datetime, actor: Actor) -> None:
        """Assessment is done: ask the board the risk demands (assess → authorize)."""
        self._fire(ev.ChangeApprovalRequested(), at, actor)

    def approve(
        self, board: ApprovalBoard, *, at: datetime, actor: Actor, comment: str | None = None
    ) -> None:
        """Record `actor`'s approval for `board`; the board must be the one the risk demands.

        Approving twice for one board is refused (`ApprovalRefused`). Whether
        `actor` may decide for `board` (its roles and groups) is checked live
        only (`NotPermitted`): a stored event names its actor's id, not its rights.
        """
        check_instance(actor, Actor, "actor")
        payload = ev.ChangeApproved(actor.id, board, comment)
        self._fire(payload, at, actor, lambda: check_decider(self, board, actor))

    def reject(self, board: ApprovalBoard, reason: str, *, at: datetime, actor: Actor) -> None:
        """Record a rejection: the RFC goes back to new and this round's approvals lapse.

        As with `approve`, whether `actor` may decide for `board` is checked live only.
        """
        check_instance(actor, Actor, "actor")
        payload = ev.ChangeRejected(actor.id, board, reason)
        self._fire(payload, at, actor, lambda: check_decider(self, board, actor))

    def schedule(
        self, planned_start: datetime, planned_end: datetime, *, at: datetime, actor: Actor
    ) -> None:
        """Plan the implementation window; standard changes straight from new.

        From authorize this needs the approvals the risk demands
        (`ApprovalMissing` otherwise). The window may lie anywhere in time.
        """
        self._fire(ev.ChangeScheduled(planned_start, planned_end), at, actor)

    def reschedule(
        self,
        planned_start: datetime,
        planned_end: datetime,
        reason: str,
        *,
        at: datetime,
        actor: Actor,
    ) -> None:
        """Move a scheduled RFC to another window (it must differ from the current one)."""
        self._fire(ev.ChangeRescheduled(planned_start, planned_end, reason), at, actor)

    def implement(self, *, at: datetime, actor: Actor) -> None:
        """Begin implementation; starting outside the window is recorded, not refused."""
        self._fire(ev.ChangeImplementationStarted(), at, actor)

    def complete(
        self, outcome: ChangeOutcome, *, at: datetime, actor: Actor, notes: str | None = None
    ) -> None:
        """End implementation with its outcome (successful, failed, rolled back) → review."""
        self._fire(ev.ChangeCompleted(outcome, notes), at, actor)

    def close(self, *, at: datetime, actor: Actor, notes: str | None = None) -> None:
        """Close after the post-implementation review."""
        self._fire(ev.ChangeClosed(notes), at, actor)

    def cancel(self, reason: str, *, at: datetime, actor: Actor) -> None:
        """Withdraw the RFC before implementation begins."""
        self._fire(ev.ChangeCancelled(reason), at, actor)

    def link(self, kind: ChangeLinkKind, ref: str, *, at: datetime, actor: Actor) -> None:
        """Link a problem or ticket (this side only); allowed in every state."""
        self._fire(ev.ChangeLinked(ChangeLink(kind, ref)), at, actor)

    def link_ticket(self, ticket: Ticket, *, at: datetime, actor: Actor) -> None:
        """Link this RFC and `ticket` both ways, as one step.

        A side that already carries the link is left alone (so a one-sided
        link can be completed); `DuplicateLink` only when both have it.
        Everything on this side is checked before the ticket is touched, so
        either both sides gain the link or neither does.
        """
        check_instance(ticket, Ticket, "ticket")
        self._authorize(actor, ChangeTrigger.LINK)  # before telling what is linked already
        link = ChangeLink(ChangeLinkKind.TICKET, ticket.id)
        here, there = link not in self.links, Link(LinkKind.CHANGE, self.id) not in ticket.links
        if not (here or there):
            raise DuplicateLink(f"{self.id} and {ticket.id} are already linked both ways")
        payload = ev.ChangeLinked(link)
        if here:
            self._vet(payload, at, actor)  # every check `_fire` makes, the rule included
        if there:
            ticket.link(LinkKind.CHANGE, self.id, at=at, actor=actor)
        if here:
            self._fire(payload, at, actor)
