"""Small vocabularies of a ticket: kind, channel, phase, trigger, links, notes."""

from __future__ import annotations

from enum import StrEnum

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks

__all__ = ["Channel", "Link", "LinkKind", "NoteVisibility", "TicketKind"]


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
    ref: str = attrs.field(validator=_checks.identifier)
