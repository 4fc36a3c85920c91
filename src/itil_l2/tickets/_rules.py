"""The rules a ticket trigger checks beyond the workflow table, one function each.

Each takes the ticket as it is before the trigger and raises a typed error
when the trigger would break a rule of the ticket's `WorkflowConfig`
(entry above L1, handover completeness, configured hold reasons and
resolution codes) or would change nothing. They read, never write.
"""

from __future__ import annotations

from typing import Any

from itil_l2._core.actor import Actor, Role
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
from itil_l2.tickets._config import EntryPolicy
from itil_l2.tickets._fields import Link
from itil_l2.tickets._handover import HandoverSource
from itil_l2.tickets._hold import HoldReason
from itil_l2.tickets._resolution import Resolution

__all__ = ["changes", "entry", "escalation", "known_code", "known_hold_reason", "new_link"]


def entry(ticket: Any, payload: ev.Assigned) -> None:
    """Entering above L1 follows the config's `entry_above_l1` policy."""
    group = payload.group
    if group.tier is Tier.L1:
        return
    policy = ticket.config.entry_above_l1
    if policy is EntryPolicy.FORBIDDEN:
        raise EntryRefused(f"new tickets enter at L1; {group.name} is {group.tier}")
    if policy is EntryPolicy.WITH_REASON and payload.reason is None:
        raise EntryRefused(f"entering at {group.tier} needs a reason")


def escalation(ticket: Any, payload: ev.Escalated, actor: Actor) -> None:
    """A complete handover (and, to L3, a target); imported ones only from the system."""
    handover, target, tier = payload.handover, payload.target, payload.group.tier
    if handover.source is HandoverSource.IMPORTED:
        if not actor.has_role(Role.SYSTEM):
            raise NotPermitted(actor.id, "submit an imported handover for", ticket.id)
        return
    missing = list(handover.missing_parts(ticket.config.handover_min_description))
    if tier is Tier.L3 and target is None:
        missing.append("L3 target (vendor, development or external specialist)")
    if missing:
        raise IncompleteHandover(missing)
    if tier is not Tier.L3 and target is not None:
        raise ValidationError("an L3 target is only given when escalating to L3")


def known_hold_reason(ticket: Any, reason: HoldReason) -> None:
    """The hold reason is one the config knows."""
    if reason not in ticket.config.hold_reasons:
        raise UnknownHoldReason(f"{reason.code!r} is not a configured hold reason")


def known_code(ticket: Any, resolution: Resolution) -> None:
    """The resolution code is one the config knows."""
    if resolution.code not in ticket.config.resolution_codes:
        raise UnknownResolutionCode(f"{resolution.code.code!r} is not a configured code")


def new_link(ticket: Any, link: Link) -> None:
    """A ticket holds each link once."""
    if link in ticket.links:
        raise DuplicateLink(f"{ticket.id} is already linked to {link.kind.value} {link.ref}")


def changes(ticket: Any, name: str, value: object) -> None:
    """A trigger that sets `name` must change it."""
    if getattr(ticket, name) == value:
        raise ValidationError(f"{ticket.id}: {name} is already {value!r}")
