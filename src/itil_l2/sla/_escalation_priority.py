"""The priority rule: tell the incident manager at once when an open ticket is P1.

The decision is due the instant the ticket became that priority, on every
calendar: a P1 does not wait for office hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.priority import Priority
from itil_l2.errors import ValidationError
from itil_l2.sla._escalation_policy import (
    EscalationDecision,
    EscalationKind,
    EscalationRole,
    RulePolicy,
)
from itil_l2.tickets import events as ev

__all__ = ["PriorityPolicy"]


def _priorities(value: Iterable[Priority]) -> frozenset[Priority]:
    items = frozenset(value)
    if not items or not all(isinstance(p, Priority) for p in items):
        raise ValidationError("priorities holds at least one Priority")
    return items


@frozen
class PriorityPolicy(RulePolicy):
    """Tell the incident manager at once when an open ticket is P1 (or `priorities`).

    Due the instant the ticket became that priority (logged or updated), on
    every calendar: a P1 does not wait for office hours.

    >>> PriorityPolicy().role
    'incident_manager'
    """

    priorities: frozenset[Priority] = attrs.field(
        default=frozenset({Priority.P1}), converter=_priorities
    )
    role: str = attrs.field(default=EscalationRole.INCIDENT_MANAGER, validator=_checks.text)
    name: str = attrs.field(default="priority", validator=_checks.text)

    def candidates(self, ticket: Any, at: datetime) -> Iterable[EscalationDecision]:
        if not ticket.phase.is_open:
            return []
        since: datetime | None = None
        priority: Priority | None = None
        for event in ticket.history:
            if event.at > at:
                break
            new = _priority_after(event.payload)
            if new is None:
                continue
            if new in self.priorities and (priority not in self.priorities):
                since = event.at
            priority = new
        if since is None or priority not in self.priorities:
            return []
        reason = f"{ticket.id} is {priority} since {since.isoformat()}"
        key = f"{ticket.id}/{self.name}/{self.role}"
        return [
            EscalationDecision(
                EscalationKind.HIERARCHICAL, self.name, reason, since, key, role=self.role
            )
        ]


def _priority_after(payload: Any) -> Priority | None:
    if isinstance(payload, ev.Opened):
        return payload.priority
    if isinstance(payload, ev.Updated):
        for change in payload.changes:
            if change.field == "priority":
                return Priority(change.new)
    return None
