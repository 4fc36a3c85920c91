"""The rule of every ticket trigger: what its event must hold, checked live and on replay.

`RULES` maps each payload type to one function taking the ticket as it is
before the event, the payload and the actor's id. `Ticket`'s triggers only
build payloads; the entity engine runs the payload's rule both when a trigger
fires and when a stored history is replayed, so a check cannot exist for one
path only. The rules cover the config (entry above L1, handover minimums,
configured hold reasons and resolution codes, the priority matrix) and
"changes something" (no duplicate link, no update of nothing); each payload
checks its own values (types, non-blank texts) when it is made, from a
trigger's arguments or from stored JSON alike. What depends on the actor's roles
(an imported handover needs the system role) is checked live only, in
`imported_handover`: a stored event names its actor's id, not its rights.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from itil_l2._core.actor import Actor, Role
from itil_l2._core.checks import check_identifier, check_instance
from itil_l2._core.entity import Rule
from itil_l2._core.fields import FieldChange, check_changes
from itil_l2._core.tier import Tier
from itil_l2.errors import (
    DuplicateLink,
    EntryRefused,
    IncompleteHandover,
    NotPermitted,
    UnknownHoldReason,
    UnknownResolutionCode,
    ValidationError,
)
from itil_l2.tickets import events as ev
from itil_l2.tickets._apply import FIELD_CODECS
from itil_l2.tickets._config import EntryPolicy
from itil_l2.tickets._handover import HandoverSource
from itil_l2.tickets._hold import HoldReason
from itil_l2.tickets._values import FIELD_CHECKS, UPDATABLE

__all__ = ["RULES", "check_opened", "imported_handover"]


def check_opened(id: str, payload: ev.Opened, config: Any) -> None:
    """A creation event: an id (an identifier) and the priority the config's matrix gives."""
    check_identifier(id, "id")
    config.priority_matrix.check(payload.impact, payload.urgency, payload.priority)


def imported_handover(ticket: Any, payload: ev.Escalated, actor: Actor) -> None:
    """Live only: an imported handover comes from an actor with the system role."""
    if payload.handover.source is HandoverSource.IMPORTED and not actor.has_role(Role.SYSTEM):
        raise NotPermitted(actor.id, "submit an imported handover for", ticket.id)


# -- one rule per payload type --------------------------------------------------------


def _assigned(t: Any, p: ev.Assigned, _actor: str, _at: datetime) -> None:
    group = p.group
    if group.tier is Tier.L1:
        return
    policy = t.config.entry_above_l1
    if policy is EntryPolicy.FORBIDDEN:
        raise EntryRefused(f"new tickets enter at L1; {group.name} is {group.tier}")
    if policy is EntryPolicy.WITH_REASON and p.reason is None:
        raise EntryRefused(f"entering at {group.tier} needs a reason")


def _assignee_set(t: Any, p: ev.AssigneeSet, _actor: str, _at: datetime) -> None:
    check_changes(t, "assignee", p.assignee)


def _started(t: Any, p: ev.Started, actor: str, _at: datetime) -> None:
    if p.assignee != (t.assignee or actor):
        raise ValidationError(
            f"{t.id}: work starts with {t.assignee or actor!r}, not {p.assignee!r}"
        )


def _reassigned(t: Any, p: ev.Reassigned, _actor: str, _at: datetime) -> None:
    check_changes(t, "group", p.group)


def _escalated(t: Any, p: ev.Escalated, _actor: str, _at: datetime) -> None:
    handover, target, tier = p.handover, p.target, p.group.tier
    if tier is not Tier.L3 and target is not None:
        raise ValidationError("an L3 target is only given when escalating to L3")
    if handover.source is HandoverSource.IMPORTED:
        return
    missing = list(handover.missing_parts(t.config.handover_min_description))
    if tier is Tier.L3 and target is None:
        missing.append("L3 target (vendor, development or external specialist)")
    if missing:
        raise IncompleteHandover(missing)


def _held(t: Any, p: ev.Held, _actor: str, _at: datetime) -> None:
    _known_hold_reason(t, p.reason)


def _hold_reason_changed(t: Any, p: ev.HoldReasonChanged, _actor: str, _at: datetime) -> None:
    if p.old != t.hold_reason:
        raise ValidationError(f"{t.id} is on hold for {t.hold_reason}, not {p.old}")
    _known_hold_reason(t, p.new)
    check_changes(t, "hold_reason", p.new)


def _updated(t: Any, p: ev.Updated, _actor: str, _at: datetime) -> None:
    """Each change names an updatable field, its true old value and a valid new one."""
    if not isinstance(p.changes, tuple) or not p.changes:
        raise ValidationError(f"{t.id}: the update changes nothing")
    new: dict[str, Any] = {}
    for change in p.changes:
        name = check_instance(change, FieldChange, "change").field
        if (name not in UPDATABLE and name != "priority") or name in new:
            raise ValidationError(f"{t.id}: an update cannot change {name!r} (or twice)")
        encode, decode = FIELD_CODECS[name]
        if change.old != encode(getattr(t, name)) or change.new == change.old:
            raise ValidationError(
                f"{t.id}: {name} is {encode(getattr(t, name))!r}, not {change.old!r}"
            )
        new[name] = decode(change.new)
        if encode(new[name]) != change.new:  # the form the trigger writes, nothing else
            raise ValidationError(f"{t.id}: {name} is not recorded as update records it")
        if name != "priority":
            FIELD_CHECKS[name](new[name], name)
    impact, urgency = new.get("impact", t.impact), new.get("urgency", t.urgency)
    t.config.priority_matrix.check(impact, urgency, new.get("priority", t.priority))


def _resolved(t: Any, p: ev.Resolved, _actor: str, _at: datetime) -> None:
    resolution = p.resolution
    if resolution.code not in t.config.resolution_codes:  # the `successful` flag included
        raise UnknownResolutionCode(
            f"{resolution.code.code!r} (successful={resolution.code.successful}) "
            "is not a configured code"
        )


def _cancelled(t: Any, p: ev.Cancelled, _actor: str, _at: datetime) -> None:
    if p.duplicate_of == t.id:
        raise ValidationError("a ticket cannot duplicate itself")


def _linked(t: Any, p: ev.Linked, _actor: str, _at: datetime) -> None:
    link = p.link
    if link in t.links:
        raise DuplicateLink(f"{t.id} is already linked to {link.kind.value} {link.ref}")


# -- shared parts -----------------------------------------------------------------------


def _known_hold_reason(t: Any, reason: HoldReason) -> None:
    if reason not in t.config.hold_reasons:
        raise UnknownHoldReason(f"{reason.code!r} is not a configured hold reason")


RULES: dict[type[Any], Rule] = {
    ev.Assigned: _assigned,
    ev.AssigneeSet: _assignee_set,
    ev.Started: _started,
    ev.Reassigned: _reassigned,
    ev.Escalated: _escalated,
    ev.Held: _held,
    ev.HoldReasonChanged: _hold_reason_changed,
    ev.Updated: _updated,
    ev.Resolved: _resolved,
    ev.Cancelled: _cancelled,
    ev.Linked: _linked,
}
"""Payload type -> its rule; payloads without one need only the workflow and their values."""
