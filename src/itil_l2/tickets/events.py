"""Ticket domain events: one frozen event per change, each with a typed payload.

A ticket's history is a tuple of `TicketEvent`s; replaying it through the
workflow (`Ticket.from_history`) rebuilds the ticket exactly. Payloads hold
only values, so the history serialises to JSON through cattrs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import field, frozen

from itil_l2._core.entity import Event
from itil_l2._core.fields import FieldChange
from itil_l2._core.priority import Impact, Priority, Urgency
from itil_l2._core.serialization import UPCASTERS, rename_entity_id
from itil_l2._core.tier import SupportGroup
from itil_l2.tickets._fields import Channel, Link, NoteVisibility, TicketKind
from itil_l2.tickets._handover import Handover, L3Target
from itil_l2.tickets._hold import HoldReason
from itil_l2.tickets._resolution import Resolution
from itil_l2.tickets._workflow import Trigger

__all__ = [
    "AssigneeSet",
    "Assigned",
    "Cancelled",
    "Closed",
    "Escalated",
    "FieldChange",
    "HandedBack",
    "Held",
    "HoldReasonChanged",
    "Linked",
    "NoteAdded",
    "Opened",
    "Reassigned",
    "Reopened",
    "Resolved",
    "Resumed",
    "Started",
    "TicketEvent",
    "TicketPayload",
    "Updated",
    "VendorUpdated",
]

SCHEMA_VERSION = 2
"""2 since 0.2.0: the envelope names the entity `entity_id` (was `ticket_id`)."""

UPCASTERS.register("ticket", 1, rename_entity_id("ticket_id"))


@frozen
class Opened:
    """The ticket was logged; carries every initial field."""

    TRIGGER: ClassVar[Trigger] = Trigger.OPEN
    kind: TicketKind
    title: str
    description: str
    caller: str | None
    channel: Channel
    service: str | None
    category: str | None
    subcategory: str | None
    symptom: str | None
    ci_refs: tuple[str, ...]
    impact: Impact
    urgency: Urgency
    priority: Priority
    major_incident: bool
    owner_group: SupportGroup
    attributes: dict[str, Any] = field(factory=dict)


@frozen
class Assigned:
    """A new ticket went to its first group; `reason` explains entry above L1."""

    TRIGGER: ClassVar[Trigger] = Trigger.ASSIGN
    group: SupportGroup
    reason: str | None = None


@frozen
class AssigneeSet:
    """An agent of the group took (or gave up, with None) the ticket."""

    TRIGGER: ClassVar[Trigger] = Trigger.ASSIGN_TO
    assignee: str | None


@frozen
class Started:
    """An agent started working the ticket."""

    TRIGGER: ClassVar[Trigger] = Trigger.START
    assignee: str | None


@frozen
class Reassigned:
    """Moved to another group of the same tier; counts as a reassignment."""

    TRIGGER: ClassVar[Trigger] = Trigger.REASSIGN
    group: SupportGroup
    reason: str | None = None


@frozen
class Escalated:
    """Moved one tier up (or more, where allowed) with a handover."""

    TRIGGER: ClassVar[Trigger] = Trigger.ESCALATE
    group: SupportGroup
    handover: Handover
    target: L3Target | None = None


@frozen
class HandedBack:
    """Returned one tier down with instructions, and from L3 perhaps a fix."""

    TRIGGER: ClassVar[Trigger] = Trigger.HAND_BACK
    group: SupportGroup
    instructions: str
    fix: str | None = None


@frozen
class Held:
    """Work paused for a reason."""

    TRIGGER: ClassVar[Trigger] = Trigger.HOLD
    reason: HoldReason


@frozen
class HoldReasonChanged:
    """Still on hold, now for another reason."""

    TRIGGER: ClassVar[Trigger] = Trigger.CHANGE_HOLD_REASON
    old: HoldReason
    new: HoldReason


@frozen
class Resumed:
    """Work goes on; `cause` says what ended the wait."""

    TRIGGER: ClassVar[Trigger] = Trigger.RESUME
    cause: str


@frozen
class VendorUpdated:
    """The L3 vendor reported progress."""

    TRIGGER: ClassVar[Trigger] = Trigger.VENDOR_UPDATE
    text: str
    status: str | None = None
    reference: str | None = None


@frozen
class NoteAdded:
    """A work note or a comment."""

    TRIGGER: ClassVar[Trigger] = Trigger.ADD_NOTE
    text: str
    visibility: NoteVisibility


@frozen
class Updated:
    """Fields changed; the priority change, when any, is one of the changes."""

    TRIGGER: ClassVar[Trigger] = Trigger.UPDATE
    changes: tuple[FieldChange, ...]


@frozen
class Resolved:
    """The ticket was resolved with this resolution."""

    TRIGGER: ClassVar[Trigger] = Trigger.RESOLVE
    resolution: Resolution


@frozen
class Reopened:
    """A resolved ticket needs more work; counts as a reopen."""

    TRIGGER: ClassVar[Trigger] = Trigger.REOPEN
    reason: str


@frozen
class Closed:
    """The resolution was accepted (or the auto-close period passed)."""

    TRIGGER: ClassVar[Trigger] = Trigger.CLOSE


@frozen
class Cancelled:
    """Withdrawn without a resolution; maybe as a duplicate of another ticket."""

    TRIGGER: ClassVar[Trigger] = Trigger.CANCEL
    reason: str
    duplicate_of: str | None = None


@frozen
class Linked:
    """A link to a problem, change, article, parent or child was added."""

    TRIGGER: ClassVar[Trigger] = Trigger.LINK
    link: Link


TicketPayload = (
    Opened
    | Assigned
    | AssigneeSet
    | Started
    | Reassigned
    | Escalated
    | HandedBack
    | Held
    | HoldReasonChanged
    | Resumed
    | VendorUpdated
    | NoteAdded
    | Updated
    | Resolved
    | Reopened
    | Closed
    | Cancelled
    | Linked
)
PAYLOAD_TYPES: tuple[type[TicketPayload], ...] = TicketPayload.__args__


@frozen
class TicketEvent(Event[TicketPayload]):
    """One change to one ticket: who, when, what, and the resulting version.

    `kind` is the trigger's name (`"escalate"`, `"resolve"`, ...); `schema`
    is the event format version, so stored events can be upcast later.
    """

    schema: int = SCHEMA_VERSION
