"""Requests for change: their vocabulary, the frozen events, and how events apply.

A `ChangeRequest`'s history is a tuple of `ChangeEvent`s, one per trigger.
Payloads hold only values (enums, strings, datetimes, `SupportGroup`,
`ChangeLink`), so a history serialises to JSON through cattrs and replays
through the change workflow. Each payload checks its own values (types,
non-blank texts, an aware window that ends after it starts) when it is made,
by a trigger or from stored JSON alike; the rules that need the RFC and its
config (`_rules.py`) run in the trigger engine, live and on replay. Appliers
are the last, infallible step of a trigger: every check happens before an
event exists.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.entity import Event
from itil_l2._core.serialization import UPCASTERS, rename_entity_id
from itil_l2._core.tier import SupportGroup
from itil_l2._core.time import ensure_aware
from itil_l2.changes._workflow import ChangeTrigger, ChangeType
from itil_l2.errors import ValidationError

__all__ = [
    "Approval",
    "ApprovalBoard",
    "ApprovalDecision",
    "ChangeApprovalRequested",
    "ChangeApproved",
    "ChangeCancelled",
    "ChangeClosed",
    "ChangeCompleted",
    "ChangeEvent",
    "ChangeImplementationStarted",
    "ChangeLink",
    "ChangeLinkKind",
    "ChangeLinked",
    "ChangeOutcome",
    "ChangePayload",
    "ChangeRaised",
    "ChangeRejected",
    "ChangeRescheduled",
    "ChangeRisk",
    "ChangeRiskSet",
    "ChangeScheduled",
    "ChangeSubmitted",
    "decisions",
]

SCHEMA_VERSION = 2
"""2 since 0.2.0: the envelope names the entity `entity_id` (was `change_id`)."""

UPCASTERS.register("change", 1, rename_entity_id("change_id"))


class ChangeRisk(StrEnum):
    """The assessed risk; it decides who must approve (see `ChangeConfig`)."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


class ChangeOutcome(StrEnum):
    """How the implementation went; only a successful change fixes a problem."""

    SUCCESSFUL = "successful"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


class ApprovalBoard(StrEnum):
    """Who approves: the change advisory board, or the implementing group's manager."""

    CAB = "cab"
    GROUP_MANAGER = "group_manager"


class ApprovalDecision(StrEnum):
    """An approver's answer."""

    APPROVED = "approved"
    REJECTED = "rejected"


class ChangeLinkKind(StrEnum):
    """What a request for change is raised from or linked to."""

    PROBLEM = "problem"
    TICKET = "ticket"


@frozen
class ChangeLink:
    """A reference from an RFC to the problem or ticket it solves.

    >>> ChangeLink(ChangeLinkKind.TICKET, "INC-1").ref
    'INC-1'
    """

    kind: ChangeLinkKind = attrs.field(validator=_checks.member(ChangeLinkKind))
    ref: str = attrs.field(validator=_checks.identifier)


@frozen
class Approval:
    """One recorded decision: who, for which board, approved or rejected, why and when."""

    approver_id: str = attrs.field(validator=_checks.identifier)
    board: ApprovalBoard = attrs.field(validator=_checks.member(ApprovalBoard))
    decision: ApprovalDecision = attrs.field(validator=_checks.member(ApprovalDecision))
    comment: str | None = attrs.field(validator=_checks.optional_text)
    at: datetime = attrs.field(validator=attrs.validators.instance_of(datetime))


# -- payloads -------------------------------------------------------------------


@frozen
class ChangeRaised:
    """The RFC was raised; carries every initial field."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.RAISE
    change_type: ChangeType = attrs.field(validator=_checks.member(ChangeType))
    title: str = attrs.field(validator=_checks.text)
    description: str = attrs.field(validator=_checks.string)
    risk: ChangeRisk = attrs.field(validator=_checks.member(ChangeRisk))
    group: SupportGroup = attrs.field(validator=_checks.instance(SupportGroup))
    raised_from: ChangeLink | None = attrs.field(
        default=None, validator=_checks.optional_instance(ChangeLink)
    )


@frozen
class ChangeSubmitted:
    """Handed to change management: normal → assess, emergency → authorize."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.SUBMIT


@frozen
class ChangeRiskSet:
    """The risk was (re)assessed."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.SET_RISK
    old: ChangeRisk = attrs.field(validator=_checks.member(ChangeRisk))
    new: ChangeRisk = attrs.field(validator=_checks.member(ChangeRisk))
    reason: str | None = attrs.field(default=None, validator=_checks.optional_text)


@frozen
class ChangeApprovalRequested:
    """Assessment is done; the RFC waits for the approvals its risk demands."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.REQUEST_APPROVAL


@frozen
class ChangeApproved:
    """An approver approved on behalf of a board."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.APPROVE
    approver_id: str = attrs.field(validator=_checks.identifier)
    board: ApprovalBoard = attrs.field(validator=_checks.member(ApprovalBoard))
    comment: str | None = attrs.field(default=None, validator=_checks.optional_text)


@frozen
class ChangeRejected:
    """An approver rejected; the RFC goes back to new and its approvals are void."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.REJECT
    approver_id: str = attrs.field(validator=_checks.identifier)
    board: ApprovalBoard = attrs.field(validator=_checks.member(ApprovalBoard))
    comment: str = attrs.field(validator=_checks.text)


def _planned_start(_inst: object, _attribute: object, value: datetime) -> None:
    ensure_aware(value, "planned_start")


def _planned_end(inst: Any, _attribute: object, value: datetime) -> None:
    ensure_aware(value, "planned_end")
    if value <= inst.planned_start:
        raise ValidationError("planned_end must lie after planned_start")


@frozen
class ChangeScheduled:
    """The planned implementation window was set (standard changes: straight from new)."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.SCHEDULE
    planned_start: datetime = attrs.field(validator=_planned_start)
    planned_end: datetime = attrs.field(validator=_planned_end)


@frozen
class ChangeRescheduled:
    """A scheduled RFC got another window."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.RESCHEDULE
    planned_start: datetime = attrs.field(validator=_planned_start)
    planned_end: datetime = attrs.field(validator=_planned_end)
    reason: str = attrs.field(validator=_checks.text)


@frozen
class ChangeImplementationStarted:
    """Implementation began (inside or outside the planned window: the time says which)."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.IMPLEMENT


@frozen
class ChangeCompleted:
    """Implementation ended with an outcome; the RFC goes to review."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.COMPLETE
    outcome: ChangeOutcome = attrs.field(validator=_checks.member(ChangeOutcome))
    notes: str | None = attrs.field(default=None, validator=_checks.optional_text)


@frozen
class ChangeClosed:
    """The post-implementation review is done."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.CLOSE
    notes: str | None = attrs.field(default=None, validator=_checks.optional_text)


@frozen
class ChangeCancelled:
    """Withdrawn before implementation."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.CANCEL
    reason: str = attrs.field(validator=_checks.text)


@frozen
class ChangeLinked:
    """A link to a problem or ticket was added."""

    TRIGGER: ClassVar[ChangeTrigger] = ChangeTrigger.LINK
    link: ChangeLink = attrs.field(validator=_checks.instance(ChangeLink))


ChangePayload = (
    ChangeRaised
    | ChangeSubmitted
    | ChangeRiskSet
    | ChangeApprovalRequested
    | ChangeApproved
    | ChangeRejected
    | ChangeScheduled
    | ChangeRescheduled
    | ChangeImplementationStarted
    | ChangeCompleted
    | ChangeClosed
    | ChangeCancelled
    | ChangeLinked
)


@frozen
class ChangeEvent(Event[ChangePayload]):
    """One change to one RFC: who, when, what, and the resulting version.

    `kind` is the trigger's name; `schema` is the event format version.
    """

    schema: int = SCHEMA_VERSION


"""How each event (after the first) changes an RFC's fields."""

BLANK_FIELDS: tuple[tuple[str, Any], ...] = (
    ("approvals", ()),
    ("rejection", None),
    ("planned_start", None),
    ("planned_end", None),
    ("implementation_started_at", None),
    ("implementation_ended_at", None),
    ("outcome", None),
    ("outcome_notes", None),
    ("close_notes", None),
    ("cancel_reason", None),
    ("state", "new"),
)
"""The fields a freshly raised RFC has beyond its `ChangeRaised` payload."""


def decisions(history: tuple[ChangeEvent, ...]) -> tuple[Approval, ...]:
    """Every approval and rejection in a history, oldest first (all rounds)."""
    found = []
    for event in history:
        p = event.payload
        if isinstance(p, ChangeApproved):
            found.append(
                Approval(p.approver_id, p.board, ApprovalDecision.APPROVED, p.comment, event.at)
            )
        elif isinstance(p, ChangeRejected):
            found.append(
                Approval(p.approver_id, p.board, ApprovalDecision.REJECTED, p.comment, event.at)
            )
    return tuple(found)
