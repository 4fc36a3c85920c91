"""The built-in escalation rules: SLA thresholds, functional, ping-pong, priority.

Each rule lists its candidate decisions with due instants computed from the
history (see `RulePolicy`); due instants that depend on time are placed in
the rule's calendar's working time, so a reminder never lands at midnight
outside service hours unless that calendar is 24x7.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.errors import ValidationError
from itil_l2._core.priority import Priority
from itil_l2._core.tier import Tier
from itil_l2.sla._calendar import TWENTY_FOUR_SEVEN, US, BusinessCalendar, from_us, to_us
from itil_l2.sla._clock import PAUSE, RUN, SlaClock
from itil_l2.sla._escalation_policy import (
    EscalationDecision,
    EscalationKind,
    EscalationRole,
    RulePolicy,
)
from itil_l2.sla._routing import NoRoute, RoutingPolicy
from itil_l2.sla._targets import NoTargetForPriority, SlaTarget
from itil_l2.tickets import HoldReason
from itil_l2.tickets import events as ev

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FunctionalEscalationPolicy",
    "PingPongPolicy",
    "PriorityPolicy",
    "SlaThresholdPolicy",
]

DEFAULT_THRESHOLDS: tuple[tuple[float, tuple[str, ...]], ...] = (
    (50.0, (EscalationRole.ASSIGNEE,)),
    (75.0, (EscalationRole.ASSIGNEE, EscalationRole.TEAM_LEAD)),
    (100.0, (EscalationRole.MANAGER,)),
)
"""50 % tells the assignee, 75 % the assignee and team lead, a breach the manager."""


def hm(value: timedelta) -> str:
    """A duration as hours and minutes, e.g. "6h00"."""
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}"


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


def _arrival(history: tuple[Any, ...], tier: Tier) -> int | None:
    """Index of the event that last brought the ticket to `tier` from elsewhere."""
    found: int | None = None
    current: Tier | None = None
    for index, event in enumerate(history):
        payload = event.payload
        if isinstance(payload, ev.Assigned | ev.Reassigned | ev.Escalated | ev.HandedBack):
            there = payload.group.tier
            if there is tier and current is not tier:
                found = index
            current = there
    return found


def _running(
    history: tuple[Any, ...], start: int, pause_on: frozenset[HoldReason], at: datetime
) -> list[tuple[int, int]]:
    """Wall-time segments from `history[start]` to `at` outside pausing holds."""
    segments: list[tuple[int, int]] = []
    began: datetime | None = history[start].at
    for event in history[start + 1 :]:
        if event.at > at:
            break
        p = event.payload
        stops = (
            (isinstance(p, ev.Held) and p.reason in pause_on)
            or (isinstance(p, ev.HoldReasonChanged) and p.new in pause_on)
            or isinstance(p, ev.Resolved)
        )
        if stops and began is not None:
            segments.append((to_us(began), to_us(event.at)))
            began = None
        elif (
            not stops
            and began is None
            and isinstance(p, ev.Resumed | ev.Reopened | ev.HoldReasonChanged)
        ):
            began = event.at
    if began is not None:
        segments.append((to_us(began), to_us(at)))
    return segments


def _tier_after(value: Tier) -> Tier:
    return Tier(f"L{value.level + 1}") if value is not Tier.L3 else value


def _check_tiers(
    inst: FunctionalEscalationPolicy, _attr: attrs.Attribute[Any], _value: object
) -> None:
    step = inst.to_tier.level - inst.from_tier.level
    if step <= 0:
        raise ValidationError("a functional escalation goes to a higher tier")
    if step > 1 and not inst.allow_skip:
        raise ValidationError(f"{inst.from_tier}→{inst.to_tier} skips a tier; set allow_skip")
    if inst.after is None and inst.max_attempts is None:
        raise ValidationError("give `after`, `max_attempts`, or both")


def _count_reopens(ticket: Any, start: int) -> list[datetime]:
    return [e.at for e in ticket.history[start + 1 :] if isinstance(e.payload, ev.Reopened)]


@frozen
class FunctionalEscalationPolicy(RulePolicy):
    """Escalate L1→L2 (or L2→L3) when the tier has not resolved in time or in N tries.

    Time is business time on `calendar` since the ticket last arrived at
    `from_tier`, without holds whose reason is in `pause_on`. A failed
    attempt is, by default, a reopen at the tier (a resolution that did not
    hold); pass `attempts` to count them your way. A tier is never skipped
    unless `allow_skip`. With `routing`, the decision names the group.

    >>> from datetime import timedelta
    >>> from itil_l2 import Tier
    >>> p = FunctionalEscalationPolicy(Tier.L1, after=timedelta(hours=2))
    >>> p.to_tier.value
    'L2'
    """

    from_tier: Tier = attrs.field(validator=_checks.member(Tier))
    to_tier: Tier = attrs.field(
        default=attrs.Factory(lambda s: _tier_after(s.from_tier), takes_self=True)
    )
    after: timedelta | None = None
    max_attempts: int | None = None
    calendar: BusinessCalendar = TWENTY_FOUR_SEVEN
    pause_on: frozenset[HoldReason] = frozenset({HoldReason.AWAITING_CALLER})
    allow_skip: bool = attrs.field(default=False, validator=_check_tiers)
    routing: RoutingPolicy | None = None
    attempts: Callable[[Any], int] | None = None
    name: str = attrs.field(default="functional", validator=_checks.text)

    def candidates(self, ticket: Any, at: datetime) -> Iterable[EscalationDecision]:
        if not ticket.phase.is_open or ticket.tier is not self.from_tier:
            return []
        history = ticket.history
        start = _arrival(history, self.from_tier)
        if start is None:
            return []
        dues: list[tuple[datetime, str]] = []
        if self.after is not None:
            due = self._time_due(history, start, at)
            if due is not None:
                dues.append((due, f"not resolved within {hm(self.after)} business time"))
        if self.max_attempts is not None:
            dues.extend(self._attempts_due(ticket, start))
        if not dues:
            return []
        due, why = min(dues)
        key = f"{ticket.id}/{self.name}/{self.from_tier}-{self.to_tier}/v{history[start].version}"
        reason = f"{self.from_tier} {why} since {history[start].at.isoformat()}"
        return [
            EscalationDecision(
                EscalationKind.FUNCTIONAL,
                self.name,
                reason,
                due,
                key,
                tier=self.to_tier,
                group=self._group(ticket),
            )
        ]

    def _time_due(self, history: Any, start: int, at: datetime) -> datetime | None:
        assert self.after is not None
        cal = self.calendar
        amount = self.after // US
        segments = _running(history, start, self.pause_on, at)
        total = 0
        for s, e in segments:
            b = cal.between_us(s, e)
            if total + b >= amount:
                return from_us(cal.add_us(s, amount - total), cal._tz)
            total += b
        if segments and segments[-1][1] == to_us(at):  # still running: due in the future
            return from_us(cal.add_us(to_us(at), amount - total), cal._tz)
        return None

    def _attempts_due(self, ticket: Any, start: int) -> list[tuple[datetime, str]]:
        limit = self.max_attempts
        assert limit is not None
        if self.attempts is not None:
            count = self.attempts(ticket)
            when = ticket.updated_at
        else:
            reopens = _count_reopens(ticket, start)
            count = len(reopens)
            when = reopens[limit - 1] if count >= limit else ticket.updated_at
        if count < limit:
            return []
        return [(self.calendar.next_working(when), f"failed {count} attempts (limit {limit})")]

    def _group(self, ticket: Any) -> Any:
        if self.routing is None:
            return None
        try:
            return self.routing.route(ticket, tier=self.to_tier).group
        except NoRoute:
            return None


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
