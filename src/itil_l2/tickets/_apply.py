"""How each ticket event changes a ticket's fields.

Appliers never fail: every check happens before an event exists, so applying
is the last, infallible step of a trigger, and a failed trigger leaves the
ticket untouched. Replay (`Ticket.from_history`) uses the same appliers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from attrs import evolve

from itil_l2._core.fields import MAPPING, SAME, STRINGS, Codec, apply_changes, enum_codec
from itil_l2._core.priority import Impact, Priority, Urgency
from itil_l2.tickets import events as ev
from itil_l2.tickets._fields import Channel

_set = object.__setattr__

Applier = Callable[[Any, Any, datetime], None]


def _assigned(t: Any, p: ev.Assigned, _at: datetime) -> None:
    _set(t, "group", p.group)


def _assignee_set(t: Any, p: ev.AssigneeSet | ev.Started, _at: datetime) -> None:
    _set(t, "assignee", p.assignee)


def _requeued(t: Any, _p: ev.Requeued, _at: datetime) -> None:
    _set(t, "assignee", None)


def _reassigned(t: Any, p: ev.Reassigned, _at: datetime) -> None:
    _set(t, "group", p.group)
    _set(t, "assignee", None)
    _set(t, "hold_reason", None)
    _set(t, "reassignment_count", t.reassignment_count + 1)


def _escalated(t: Any, p: ev.Escalated, _at: datetime) -> None:
    _set(t, "group", p.group)
    _set(t, "assignee", None)
    _set(t, "hold_reason", None)
    _set(t, "handover", p.handover)
    _set(t, "l3_target", p.target)
    _set(t, "escalation_count", t.escalation_count + 1)


def _handed_back(t: Any, p: ev.HandedBack, _at: datetime) -> None:
    _set(t, "group", p.group)
    _set(t, "assignee", None)
    _set(t, "hold_reason", None)
    _set(t, "l3_target", None)


def _held(t: Any, p: ev.Held, _at: datetime) -> None:
    _set(t, "hold_reason", p.reason)


def _hold_changed(t: Any, p: ev.HoldReasonChanged, _at: datetime) -> None:
    _set(t, "hold_reason", p.new)


def _resumed(t: Any, _p: ev.Resumed, _at: datetime) -> None:
    _set(t, "hold_reason", None)


def _vendor_updated(t: Any, p: ev.VendorUpdated, _at: datetime) -> None:
    if p.reference is not None and t.l3_target is not None:
        _set(t, "l3_target", evolve(t.l3_target, reference=p.reference))


def _nothing(_t: Any, _p: Any, _at: datetime) -> None:
    """Notes and closing change no field; the event itself is the record."""


def _updated(t: Any, p: ev.Updated, _at: datetime) -> None:
    apply_changes(t, p.changes, FIELD_CODECS)


def _resolved(t: Any, p: ev.Resolved, at: datetime) -> None:
    if t.group is None:  # first-contact resolution from new: the logging desk solved it
        _set(t, "group", t.owner_group)
    _set(t, "resolution", p.resolution)
    _set(t, "resolved_at", at)
    _set(t, "hold_reason", None)


def _reopened(t: Any, _p: ev.Reopened, _at: datetime) -> None:
    _set(t, "resolution", None)
    _set(t, "resolved_at", None)
    _set(t, "reopen_count", t.reopen_count + 1)


def _cancelled(t: Any, p: ev.Cancelled, _at: datetime) -> None:
    _set(t, "duplicate_of", p.duplicate_of)
    _set(t, "hold_reason", None)


def _linked(t: Any, p: ev.Linked, _at: datetime) -> None:
    _set(t, "links", t.links.plus(p.link))


APPLIERS: dict[type[Any], Applier] = {
    ev.Assigned: _assigned,
    ev.AssigneeSet: _assignee_set,
    ev.Started: _assignee_set,
    ev.Requeued: _requeued,
    ev.Reassigned: _reassigned,
    ev.Escalated: _escalated,
    ev.HandedBack: _handed_back,
    ev.Held: _held,
    ev.HoldReasonChanged: _hold_changed,
    ev.Resumed: _resumed,
    ev.VendorUpdated: _vendor_updated,
    ev.NoteAdded: _nothing,
    ev.Updated: _updated,
    ev.Resolved: _resolved,
    ev.Reopened: _reopened,
    ev.Closed: _nothing,
    ev.Cancelled: _cancelled,
    ev.Linked: _linked,
}


FIELD_CODECS: dict[str, Codec] = {
    "title": SAME,
    "description": SAME,
    "caller": SAME,
    "service": SAME,
    "category": SAME,
    "subcategory": SAME,
    "symptom": SAME,
    "channel": enum_codec(Channel),
    "impact": enum_codec(Impact),
    "urgency": enum_codec(Urgency),
    "priority": enum_codec(Priority),
    "ci_refs": STRINGS,
    "major_incident": SAME,
    "attributes": MAPPING,
}
"""Per updatable field: (to JSON for the event, from JSON back to the field value)."""
