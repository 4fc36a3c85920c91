"""Small vocabularies of a ticket: kind, channel, phase, trigger, links, notes."""

from __future__ import annotations

from enum import StrEnum

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks

__all__ = ["Channel", "Link", "LinkKind", "NoteVisibility", "Phase", "TicketKind", "Trigger"]


class TicketKind(StrEnum):
    """Incident (something broke) or service request (something is wanted)."""

    INCIDENT = "incident"
    SERVICE_REQUEST = "service_request"


class Channel(StrEnum):
    """How the ticket reached the service desk."""

    PHONE = "phone"
    EMAIL = "email"
    SELF_SERVICE = "self_service"
    CHAT = "chat"
    MONITORING = "monitoring"
    WALK_IN = "walk_in"


class NoteVisibility(StrEnum):
    """A work note is internal; a comment is visible to the caller."""

    WORK_NOTE = "work_note"
    COMMENT = "comment"


class LinkKind(StrEnum):
    """What a ticket can be linked to without changing its state."""

    PROBLEM = "problem"
    CHANGE = "change"
    KNOWLEDGE = "knowledge"
    PARENT = "parent"
    CHILD = "child"
    CAUSED_BY_CHANGE = "caused_by_change"


@frozen
class Link:
    """A reference from a ticket to another record, e.g. `Link(LinkKind.PROBLEM, "PRB-7")`."""

    kind: LinkKind = attrs.field(validator=_checks.member(LinkKind))
    ref: str = attrs.field(validator=_checks.text)


class Phase(StrEnum):
    """Where a ticket is in its life; the tier comes from its group."""

    NEW = "new"
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        """New, queued, in progress or on hold: work is still owed."""
        return self in _OPEN

    @property
    def is_final(self) -> bool:
        """Closed or cancelled: only `link` may still change the ticket."""
        return self in (Phase.CLOSED, Phase.CANCELLED)


_OPEN = frozenset({Phase.NEW, Phase.QUEUED, Phase.IN_PROGRESS, Phase.ON_HOLD})


class Trigger(StrEnum):
    """Every ticket trigger; the permissions policy is asked about these."""

    OPEN = "open"
    ASSIGN = "assign"
    ASSIGN_TO = "assign_to"
    START = "start"
    REASSIGN = "reassign"
    ESCALATE = "escalate"
    HAND_BACK = "hand_back"
    HOLD = "hold"
    CHANGE_HOLD_REASON = "change_hold_reason"
    RESUME = "resume"
    VENDOR_UPDATE = "vendor_update"
    ADD_NOTE = "add_note"
    UPDATE = "update"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"
    CANCEL = "cancel"
    LINK = "link"

    def __str__(self) -> str:
        return self.value
