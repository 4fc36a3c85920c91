"""The SLA-threshold rule: tell roles when a clock has used a share of its target.

Notices are due when the running clock reaches the share, placed in the
working time of the rule's calendar (the target's by default), so a
reminder never lands outside service hours unless that calendar is 24x7.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2.errors import ValidationError
from itil_l2.sla._calendar import BusinessCalendar
from itil_l2.sla._clock import PAUSE, RUN, SlaClock
from itil_l2.sla._escalation_policy import (
    EscalationDecision,
    EscalationKind,
    EscalationRole,
    RulePolicy,
    hm,
)
from itil_l2.sla._targets import NoTargetForPriority, SlaTarget

__all__ = ["DEFAULT_THRESHOLDS", "SlaThresholdPolicy"]

DEFAULT_THRESHOLDS: tuple[tuple[float, tuple[str, ...]], ...] = (
    (50.0, (EscalationRole.ASSIGNEE,)),
    (75.0, (EscalationRole.ASSIGNEE, EscalationRole.TEAM_LEAD)),
    (100.0, (EscalationRole.MANAGER,)),
)
"""50 % tells the assignee, 75 % the assignee and team lead, a breach the manager."""


def _thresholds(value: Any) -> tuple[tuple[float, tuple[str, ...]], ...]:
    items = tuple((float(pct), tuple(roles)) for pct, roles in dict(value).items())
    for pct, roles in items:
        if pct <= 0 or not roles or not all(isinstance(r, str) and r for r in roles):
            raise ValidationError("thresholds map a positive percentage to role names")
    return tuple(sorted(items))


def _optional_calendar(_inst: object, _attr: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, BusinessCalendar):
        raise ValidationError("calendar must be a BusinessCalendar or None")


@frozen
class SlaThresholdPolicy(RulePolicy):
    """Notify roles when a clock has used a share of its target (Znuny's notify-at-%).

    `thresholds` maps a percentage to the roles told (default 50 % assignee,
    75 % assignee + team lead, 100 % manager). Notices are due when the
    running clock reaches the share, on the target's calendar; a paused or
    completed clock sends none. `calendar` moves notices into other hours.

    >>> from datetime import timedelta
    >>> from itil_l2 import Priority
    >>> from itil_l2.sla import SlaMetric
    >>> from itil_l2 import SlaTarget
    >>> target = SlaTarget("resolve", SlaMetric.RESOLUTION, {Priority.P2: timedelta(hours=8)})
    >>> [pct for pct, _roles in SlaThresholdPolicy(target).thresholds]
    [50.0, 75.0, 100.0]
    """

    target: SlaTarget = attrs.field(validator=attrs.validators.instance_of(SlaTarget))
    thresholds: tuple[tuple[float, tuple[str, ...]], ...] = attrs.field(
        default=dict(DEFAULT_THRESHOLDS), converter=_thresholds
    )
    calendar: BusinessCalendar | None = attrs.field(default=None, validator=_optional_calendar)
    name: str = attrs.field(default="sla-threshold", validator=_checks.text)

    def candidates(self, ticket: Any, at: datetime) -> Iterator[EscalationDecision]:
        try:
            clock = SlaClock(ticket, self.target, at)
        except NoTargetForPriority:
            return
        if clock.mode not in (RUN, PAUSE):
            return
        deliver = self.calendar or clock.calendar
        gap = f"/gap{len(clock.gaps)}" if len(clock.gaps) > 1 else ""
        for pct, roles in self.thresholds:
            reached = clock.reached_at(pct / 100)
            if reached is None:
                continue
            due = deliver.next_working(reached)
            used = clock.duration * (pct / 100)
            reason = (
                f"{self.target.name} ({self.target.metric.value}, {clock.priority}) at {pct:g} %: "
                f"{hm(used)} of {hm(clock.duration)} business time used"
            )
            for role in roles:
                key = f"{ticket.id}/{self.name}/{self.target.name}{gap}/{pct:g}/{role}"
                yield EscalationDecision(
                    EscalationKind.HIERARCHICAL, self.name, reason, due, key, role=role
                )
