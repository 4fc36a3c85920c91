"""The ping-pong rule: a ticket reassigned too often, or bounced A→B→A, goes to a coordinator.

The decision is due when the triggering move happened, placed in the
working time of the rule's calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2.sla._calendar import TWENTY_FOUR_SEVEN, BusinessCalendar
from itil_l2.sla._escalation_policy import (
    EscalationDecision,
    EscalationKind,
    EscalationRole,
    RulePolicy,
)
from itil_l2.tickets import events as ev

__all__ = ["PingPongPolicy"]


def _moves(include_tier_moves: bool) -> tuple[type[Any], ...]:
    if include_tier_moves:
        return (ev.Assigned, ev.Reassigned, ev.Escalated, ev.HandedBack)
    return (ev.Assigned, ev.Reassigned)


@frozen
class PingPongPolicy(RulePolicy):
    """A ticket reassigned more than N times, or bounced A→B→A, goes to a coordinator.

    The decision is hierarchical (tell `role`); with `coordinator_group` a
    reassignment to that group comes with it. Tier moves count only with
    `include_tier_moves` (a hand-back with instructions is not ping-pong).

    >>> PingPongPolicy().max_reassignments
    3
    """

    max_reassignments: int = 3
    role: str = attrs.field(default=EscalationRole.COORDINATOR, validator=_checks.text)
    coordinator_group: Any = None
    include_tier_moves: bool = False
    calendar: BusinessCalendar = TWENTY_FOUR_SEVEN
    name: str = attrs.field(default="ping-pong", validator=_checks.text)

    def candidates(self, ticket: Any, at: datetime) -> Iterable[EscalationDecision]:
        if not ticket.phase.is_open:
            return []
        found = self._trigger(ticket, at)
        if found is None:
            return []
        when, why = found
        due = self.calendar.next_working(when)
        decisions = [
            EscalationDecision(
                EscalationKind.HIERARCHICAL,
                self.name,
                why,
                due,
                f"{ticket.id}/{self.name}/{self.role}",
                role=self.role,
            )
        ]
        if self.coordinator_group is not None:
            decisions.append(
                EscalationDecision(
                    EscalationKind.REASSIGN,
                    self.name,
                    why,
                    due,
                    f"{ticket.id}/{self.name}/reassign",
                    group=self.coordinator_group,
                )
            )
        return decisions

    def _trigger(self, ticket: Any, at: datetime) -> tuple[datetime, str] | None:
        kinds = _moves(self.include_tier_moves)
        names: list[str] = []
        counted: list[bool] = []
        count = 0
        for event in ticket.history:
            payload = event.payload
            if event.at > at or not isinstance(payload, _ALL_MOVES):
                continue
            names.append(payload.group.name)
            counted.append(isinstance(payload, kinds))
            if isinstance(payload, ev.Reassigned):
                count += 1
                if count > self.max_reassignments:
                    return event.at, f"reassigned {count} times (limit {self.max_reassignments})"
            bounced = len(names) >= 3 and names[-1] == names[-3] != names[-2]
            if bounced and counted[-1] and counted[-2]:
                return event.at, f"bounced {names[-3]} → {names[-2]} → {names[-1]}"
        return None


_ALL_MOVES = (ev.Assigned, ev.Reassigned, ev.Escalated, ev.HandedBack)
