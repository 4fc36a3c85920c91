"""Ticket domain events: one frozen event per change, each with a typed payload.

A ticket's history is a tuple of `TicketEvent`s; replaying it through the
workflow (`Ticket.from_history`) rebuilds the ticket exactly. Payloads hold
only values, so the history serialises to JSON through cattrs. Each payload
checks its own values (types, non-blank texts) when it is made, by a trigger
or from stored JSON alike; the rules that need the ticket and its config run
in the trigger engine, live and on replay.
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import field, frozen

from itil_l2._core import checks as _c
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
    "Requeued",
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
    kind: TicketKind = field(validator=_c.member(TicketKind))
    title: str = field(validator=_c.text)
    description: str = field(validator=_c.string)
    caller: str | None = field(validator=_c.optional_identifier)
    channel: Channel = field(validator=_c.member(Channel))
    service: str | None = field(validator=_c.optional_identifier)
    category: str | None = field(validator=_c.optional_identifier)
    subcategory: str | None = field(validator=_c.optional_identifier)
    symptom: str | None = field(validator=_c.optional_text)
    ci_refs: tuple[str, ...] = field(validator=_c.identifiers)
    impact: Impact = field(validator=_c.member(Impact))
    urgency: Urgency = field(validator=_c.member(Urgency))
    priority: Priority = field(validator=_c.member(Priority))
    major_incident: bool = field(validator=_c.instance(bool))
    owner_group: SupportGroup = field(validator=_c.instance(SupportGroup))
    attributes: dict[str, Any] = field(factory=dict, validator=_c.json_mapping)


@frozen
class Assigned:
    """A new ticket went to its first group; `reason` explains entry above L1."""

    TRIGGER: ClassVar[Trigger] = Trigger.ASSIGN
    group: SupportGroup = field(validator=_c.instance(SupportGroup))
    reason: str | None = field(default=None, validator=_c.optional_text)


@frozen
class AssigneeSet:
    """An agent of the group took (or gave up, with None) the ticket."""

    TRIGGER: ClassVar[Trigger] = Trigger.ASSIGN_TO
    assignee: str | None = field(validator=_c.optional_identifier)


@frozen
class Started:
    """An agent started working the ticket."""

    TRIGGER: ClassVar[Trigger] = Trigger.START
    assignee: str | None = field(validator=_c.optional_identifier)


@frozen
class Requeued:
    """Work stopped and the ticket went back to its group's queue; nobody holds it now."""

    TRIGGER: ClassVar[Trigger] = Trigger.REQUEUE
    reason: str | None = field(default=None, validator=_c.optional_text)


@frozen
class Reassigned:
    """Moved to another group of the same tier; counts as a reassignment."""

    TRIGGER: ClassVar[Trigger] = Trigger.REASSIGN
    group: SupportGroup = field(validator=_c.instance(SupportGroup))
    reason: str | None = field(default=None, validator=_c.optional_text)


@frozen
class Escalated:
    """Moved one tier up (or more, where allowed) with a handover."""

    TRIGGER: ClassVar[Trigger] = Trigger.ESCALATE
    group: SupportGroup = field(validator=_c.instance(SupportGroup))
    handover: Handover = field(validator=_c.instance(Handover))
    target: L3Target | None = field(default=None, validator=_c.optional_instance(L3Target))


@frozen
class HandedBack:
    """Returned one tier down with instructions, and from L3 perhaps a fix."""

    TRIGGER: ClassVar[Trigger] = Trigger.HAND_BACK
    group: SupportGroup = field(validator=_c.instance(SupportGroup))
    instructions: str = field(validator=_c.text)
    fix: str | None = field(default=None, validator=_c.optional_text)


@frozen
class Held:
    """Work paused for a reason."""

    TRIGGER: ClassVar[Trigger] = Trigger.HOLD
    reason: HoldReason = field(validator=_c.instance(HoldReason))


@frozen
class HoldReasonChanged:
    """Still on hold, now for another reason."""

    TRIGGER: ClassVar[Trigger] = Trigger.CHANGE_HOLD_REASON
    old: HoldReason = field(validator=_c.instance(HoldReason))
    new: HoldReason = field(validator=_c.instance(HoldReason))


@frozen
class Resumed:
    """Work goes on; `cause` says what ended the wait."""

    TRIGGER: ClassVar[Trigger] = Trigger.RESUME
    cause: str = field(validator=_c.text)


@frozen
class VendorUpdated:
    """The L3 vendor reported progress."""

    TRIGGER: ClassVar[Trigger] = Trigger.VENDOR_UPDATE
    text: str = field(validator=_c.text)
    status: str | None = field(default=None, validator=_c.optional_text)
    reference: str | None = field(default=None, validator=_c.optional_identifier)


@frozen
class NoteAdded:
    """A work note or a comment."""

    TRIGGER: ClassVar[Trigger] = Trigger.ADD_NOTE
    text: str = field(validator=_c.text)
    visibility: NoteVisibility = field(validator=_c.member(NoteVisibility))


@frozen
class Updated:
    """Fields changed; the priority change, when any, is one of the changes."""

    TRIGGER: ClassVar[Trigger] = Trigger.UPDATE
    changes: tuple[FieldChange, ...]


@frozen
class Resolved:
    """The ticket was resolved with this resolution."""

    TRIGGER: ClassVar[Trigger] = Trigger.RESOLVE
    resolution: Resolution = field(validator=_c.instance(Resolution))


@frozen
class Reopened:
    """A resolved ticket needs more work; counts as a reopen."""

    TRIGGER: ClassVar[Trigger] = Trigger.REOPEN
    reason: str = field(validator=_c.text)


@frozen
class Closed:
    """The resolution was accepted (or the auto-close period passed)."""

    TRIGGER: ClassVar[Trigger] = Trigger.CLOSE


@frozen
class Cancelled:
    """Withdrawn without a resolution; maybe as a duplicate of another ticket."""

    TRIGGER: ClassVar[Trigger] = Trigger.CANCEL
    reason: str = field(validator=_c.text)
    duplicate_of: str | None = field(default=None, validator=_c.optional_identifier)


@frozen
class Linked:
    """A link to a problem, change, article, parent or child was added."""

    TRIGGER: ClassVar[Trigger] = Trigger.LINK
    link: Link = field(validator=_c.instance(Link))


TicketPayload = (
    Opened
    | Assigned
    | AssigneeSet
    | Started
    | Requeued
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
