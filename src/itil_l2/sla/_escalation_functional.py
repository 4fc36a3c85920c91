"""The functional rule: escalate L1→L2 (or L2→L3) when a tier has not resolved in time.

Time is business time on the rule's calendar since the ticket last arrived
at the tier, without pausing holds; the due instant lies in that calendar's
working time. A count of failed attempts (reopens by default) can trigger
the escalation too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.tier import Tier
from itil_l2.errors import ValidationError
from itil_l2.sla._calendar import TWENTY_FOUR_SEVEN, BusinessCalendar
from itil_l2.sla._escalation_policy import EscalationDecision, EscalationKind, RulePolicy, hm
from itil_l2.sla._instants import US, from_us, to_us
from itil_l2.sla._routing import NoRoute, RoutingPolicy
from itil_l2.tickets import HoldReason
from itil_l2.tickets import events as ev

__all__ = ["FunctionalEscalationPolicy"]


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
                return from_us(cal.add_us(s, amount - total), cal.tzinfo)
            total += b
        if segments and segments[-1][1] == to_us(at):  # still running: due in the future
            return from_us(cal.add_us(to_us(at), amount - total), cal.tzinfo)
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
