"""SLA clocks computed from a ticket's history: no clock read, no I/O.

The history is walked once. After each event the clock is in one mode:
off (a tier clock before the ticket reached the tier), running, paused,
done or cancelled. Running stretches become segments of wall time; business
time is the sum of the calendar's business time over the segments. Paused
time is simply not a segment, so nothing (a priority change included) can
lose it or count it.

Why the priority is applied at the end: a priority change re-bases the
target (duration and calendar of the new priority) over the *whole* life of
the clock, the way ServiceNow's retroactive SLAs do, so paused time stays
paused and the elapsed time never jumps. A breach can then lie before the
change; `breached_at` reports the later of the two, since a target cannot be
missed before it applied.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from . import _ticket_events as ev
from ._calendar import US, BusinessCalendar, from_us, to_us
from ._errors import ValidationError
from ._priority import Priority
from ._sla import SlaMetric, SlaStage, SlaStatus, SlaTarget
from ._ticket_fields import Phase
from ._tier import Tier
from ._time import ensure_aware

__all__ = ["SlaClock", "sla_status"]

OFF, RUN, PAUSE, DONE, CANCEL = range(5)
_STAGE = {
    OFF: SlaStage.NOT_STARTED,
    RUN: SlaStage.IN_PROGRESS,
    PAUSE: SlaStage.PAUSED,
    CANCEL: SlaStage.CANCELLED,
}
_QUEUED, _WORKING, _HELD = Phase.QUEUED, Phase.IN_PROGRESS, Phase.ON_HOLD
_PHASE_AFTER: dict[type[Any], Phase] = {
    ev.Assigned: _QUEUED,
    ev.Started: _WORKING,
    ev.Reassigned: _QUEUED,
    ev.Escalated: _QUEUED,
    ev.HandedBack: _QUEUED,
    ev.Held: _HELD,
    ev.HoldReasonChanged: _HELD,
    ev.Resumed: _WORKING,
    ev.Resolved: Phase.RESOLVED,
    ev.Reopened: _WORKING,
    ev.Closed: Phase.CLOSED,
    ev.Cancelled: Phase.CANCELLED,
}
_MOVES = (ev.Assigned, ev.Reassigned, ev.Escalated, ev.HandedBack)
_STOPPED = (Phase.RESOLVED, Phase.CLOSED)
_INERT = frozenset({ev.NoteAdded, ev.Linked, ev.VendorUpdated, ev.AssigneeSet})
"""Events that change nothing a clock looks at (except as updates, for `update`)."""


class _Walk:
    """The ticket facts a clock needs, updated event by event."""

    __slots__ = ("group", "phase", "priority", "reason", "resolved", "responded", "vendor")

    def __init__(self, opened: ev.Opened) -> None:
        self.phase = Phase.NEW
        self.group: Any = None
        self.reason: Any = None
        self.vendor = False
        self.priority: Priority = opened.priority
        self.resolved = False
        self.responded = False

    def apply(self, payload: Any) -> None:
        kind = type(payload)
        self.phase = _PHASE_AFTER.get(kind, self.phase)
        if kind in _MOVES:
            self.group = payload.group
            self.reason = None
            if kind is ev.Escalated:
                self.vendor = payload.target is not None and payload.target.kind == "vendor"
            elif kind is ev.HandedBack:
                self.vendor = False
        elif kind is ev.Held:
            self.reason = payload.reason
        elif kind is ev.HoldReasonChanged:
            self.reason = payload.new
        elif kind is ev.Started:
            self.responded = True
        elif kind is ev.Resolved:
            self.responded = self.resolved = True
        elif kind is ev.Updated:
            for change in payload.changes:
                if change.field == "priority":
                    self.priority = Priority(change.new)

    def mode(self, target: SlaTarget, tier: Tier | None, visited: bool) -> int:
        """The clock's mode for `target` (measuring `tier`, if any) given these facts."""
        metric = target.metric
        phase = self.phase
        if metric is SlaMetric.RESPONSE:
            if self.responded:
                return DONE
            return CANCEL if phase is Phase.CANCELLED else RUN
        here = True
        if tier is not None:
            if not visited:
                return OFF
            group = self.group
            here = group is not None and group.tier is tier
            here = here and (metric is not SlaMetric.UC_VENDOR or self.vendor)
        if phase in _STOPPED or (self.resolved and not target.reopen_resumes):
            return DONE
        if phase is Phase.CANCELLED:
            return CANCEL if here else DONE
        if not here:
            return DONE
        if phase is _HELD and self.reason in target.pause_on:
            return PAUSE
        return RUN

    def at_tier(self, tier: Tier | None, metric: SlaMetric) -> bool:
        """Whether the ticket is now open with a group at `tier` (and a vendor, for UC)."""
        if tier is None or self.group is None or self.group.tier is not tier:
            return False
        return metric is not SlaMetric.UC_VENDOR or self.vendor


class SlaClock:
    """One target's clock over one ticket's history up to an instant.

    `status()` gives the `SlaStatus`; `reached_at(fraction)` the instant the
    clock reached a fraction of its target (past, future if running, or
    None). Escalation policies use the latter for 50 % / 75 % notices.
    """

    def __init__(self, ticket: Any, target: SlaTarget, at: datetime) -> None:
        ensure_aware(at)
        history = ticket.history
        if at < history[0].at:
            raise ValidationError(f"{ticket.id}: {at.isoformat()} is before the ticket was opened")
        self.target = target
        self.at = at
        self.at_us = to_us(at)
        self.gaps: list[list[tuple[int, int]]] = [[]]
        self.started_at: datetime | None = None
        self.stopped_at: datetime | None = None
        self.rebased_us = 0
        self._walk(history)
        self.duration = target.duration_for(self.priority)
        self.calendar: BusinessCalendar = target.calendar_for(self.priority)
        self.duration_us = self.duration // US
        self._measure()

    def _walk(self, history: Any) -> None:
        target, at = self.target, self.at
        metric = target.metric
        tier = metric.tier
        update = metric is SlaMetric.UPDATE
        facts = _Walk(history[0].payload)
        visited = False
        mode = OFF
        start = 0
        per_group = target.per_group
        triggers = target.update_triggers
        for event in history:
            when = event.at
            if when > at:
                break
            payload = event.payload
            kind = type(payload)
            if kind in _INERT and not update:
                continue
            old_priority = facts.priority
            old_group = facts.group
            facts.apply(payload)
            if facts.priority is not old_priority:
                self.rebased_us = to_us(when)
            if tier is not None and not visited:
                visited = facts.at_tier(tier, metric)
            new = facts.mode(target, tier, visited)
            reset = (update or per_group) and new in (RUN, PAUSE)
            if reset:
                reset = (update and payload.TRIGGER in triggers) or (
                    per_group and old_group is not None and facts.group != old_group
                )
            if mode == RUN and (new != RUN or reset):
                self.gaps[-1].append((start, to_us(when)))
            if reset:
                if update:
                    self.gaps.append([])
                else:
                    self.gaps = [[]]
            if new == RUN and (mode != RUN or reset):
                start = to_us(when)
            self._mark(mode, new, when)
            mode = new
        if mode == RUN and self.at_us > start:
            self.gaps[-1].append((start, self.at_us))
        self.mode = mode
        self.priority = facts.priority

    def _mark(self, mode: int, new: int, when: datetime) -> None:
        """Record when the clock first started and when it last stopped."""
        if RUN <= new <= PAUSE:
            self.stopped_at = None
            if self.started_at is None:
                self.started_at = when
        elif new >= DONE and mode < DONE:  # done or cancelled, from off/running/paused
            self.stopped_at = when

    def _measure(self) -> None:
        """Elapsed time of the current gap, and the earliest breach of any gap."""
        self.crossing: int | None = None
        self.breached_us: int | None = None
        last = len(self.gaps) - 1
        self.elapsed_us = 0
        for index, gap in enumerate(self.gaps):
            elapsed, crossing, over = self._crossing(gap, self.duration_us)
            if index == last:
                self.elapsed_us, self.crossing = elapsed, crossing
            if over and crossing is not None and self.breached_us is None:
                self.breached_us = max(crossing, self.rebased_us)

    def _crossing(self, gap: list[tuple[int, int]], amount: int) -> tuple[int, int | None, bool]:
        """(business time of gap, instant it reached `amount`, ran on past that instant)."""
        between = self.calendar.between_us
        total = 0
        crossing: int | None = None
        over = False
        for i, (s, e) in enumerate(gap):
            b = between(s, e)
            if crossing is None and total + b >= amount:
                crossing = self.calendar.add_us(s, amount - total)
                over = crossing < e or i < len(gap) - 1
            total += b
        return total, crossing, over

    def reached_at(self, fraction: float) -> datetime | None:
        """When the current gap reached `fraction` of the target (future only if running)."""
        amount = round(self.duration_us * fraction)
        elapsed, crossing, _ = self._crossing(self.gaps[-1], amount)
        if crossing is not None:
            return from_us(crossing, self.calendar._tz)
        if self.mode != RUN:
            return None
        future = self.calendar.add_us(self.at_us, amount - elapsed)
        return from_us(future, self.calendar._tz)

    def status(self) -> SlaStatus:
        """The clock's `SlaStatus` at the instant it was computed for."""
        mode, zone = self.mode, self.calendar._tz
        breached = self.breached_us is not None
        stage = _STAGE.get(mode) or (SlaStage.BREACHED if breached else SlaStage.MET)
        due: datetime | None = None
        if mode == RUN:
            due_us = self.crossing
            if due_us is None:
                due_us = self.calendar.add_us(self.at_us, self.duration_us - self.elapsed_us)
            due = from_us(due_us, zone)
        elif mode == DONE and self.crossing is not None:
            due = from_us(self.crossing, zone)
        elapsed = timedelta(microseconds=self.elapsed_us)
        return SlaStatus(
            target=self.target,
            priority=self.priority,
            duration=self.duration,
            stage=stage,
            elapsed=elapsed,
            remaining=max(self.duration - elapsed, timedelta(0)),
            percentage=100.0 * self.elapsed_us / self.duration_us,
            paused=mode == PAUSE,
            due_at=due,
            breached=breached,
            breached_at=from_us(self.breached_us, zone) if breached else None,  # type: ignore[arg-type]
            started_at=self.started_at,
            stopped_at=self.stopped_at,
        )


def sla_status(ticket: Any, target: SlaTarget, at: datetime) -> SlaStatus:
    """The state of `target`'s clock for `ticket` at `at`, from the history alone.

    Events after `at` are ignored, so the status at any past instant can be
    recomputed. Raises `NaiveDatetime` for a naive `at`, `ValidationError`
    for an instant before the ticket was opened, and `NoTargetForPriority`
    when the target has no duration for the ticket's priority at `at`.

    >>> from datetime import UTC, datetime, timedelta
    >>> from itil_l2 import Actor, Impact, SupportGroup, Ticket, Tier, Urgency
    >>> from itil_l2._priority import Priority
    >>> from itil_l2._sla import SlaMetric, SlaTarget
    >>> desk, ann = SupportGroup("desk", Tier.L1), Actor("ann", groups={"desk"})
    >>> t = Ticket.open(id="INC-1", title="VPN down", impact=Impact.MEDIUM,
    ...                 urgency=Urgency.HIGH, owner_group=desk,
    ...                 at=datetime(2026, 1, 5, 9, tzinfo=UTC), actor=ann)
    >>> target = SlaTarget("resolve", SlaMetric.RESOLUTION, {Priority.P2: timedelta(hours=8)})
    >>> s = sla_status(t, target, datetime(2026, 1, 5, 11, tzinfo=UTC))
    >>> s.stage.value, s.elapsed, s.percentage, s.due_at.isoformat()
    ('in_progress', datetime.timedelta(seconds=7200), 25.0, '2026-01-05T17:00:00+00:00')
    """
    return SlaClock(ticket, target, at).status()
