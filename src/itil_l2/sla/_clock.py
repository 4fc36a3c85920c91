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

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from itil_l2._core.priority import Priority
from itil_l2._core.tier import Tier
from itil_l2._core.time import ensure_aware
from itil_l2.errors import ValidationError
from itil_l2.sla._calendar import BusinessCalendar
from itil_l2.sla._instants import US, from_us, to_us
from itil_l2.sla._targets import SlaMetric, SlaStage, SlaStatus, SlaTarget
from itil_l2.tickets import L3TargetKind, Phase
from itil_l2.tickets import events as ev

__all__ = ["SlaClock", "sla_status"]

OFF, RUN, PAUSE, DONE, CANCEL = range(5)
_STAGE = {
    OFF: SlaStage.NOT_STARTED,
    RUN: SlaStage.IN_PROGRESS,
    PAUSE: SlaStage.PAUSED,
    CANCEL: SlaStage.CANCELLED,
}
# Enum members as module constants: reading one off its class costs a lookup each time.
_QUEUED, _WORKING, _HELD = Phase.QUEUED, Phase.IN_PROGRESS, Phase.ON_HOLD
_RESOLVED, _CLOSED, _CANCELLED = Phase.RESOLVED, Phase.CLOSED, Phase.CANCELLED
_RESPONSE, _UPDATE, _VENDOR = SlaMetric.RESPONSE, SlaMetric.UPDATE, SlaMetric.UC_VENDOR
_BREACHED, _MET = SlaStage.BREACHED, SlaStage.MET
_ZERO = timedelta(0)


class _Walk:
    """The ticket facts a clock needs, updated event by event, and the target's rules.

    The rules (what the target measures, what pauses it) are read from the
    target once here, so `mode` after each event only reads slots.
    """

    __slots__ = (
        "final",
        "group",
        "pause_on",
        "phase",
        "priority",
        "reason",
        "resolved",
        "responded",
        "response",
        "tier",
        "vendor",
        "vendor_only",
        "visited",
    )

    def __init__(self, opened: ev.Opened, target: SlaTarget) -> None:
        self.phase = Phase.NEW
        self.group: Any = None
        self.reason: Any = None
        self.vendor = False
        self.priority: Priority = opened.priority
        self.resolved = False
        self.responded = False
        self.visited = False
        metric = target.metric
        self.response = metric is _RESPONSE
        self.tier: Tier | None = metric.tier
        self.vendor_only = metric is _VENDOR
        self.final = not target.reopen_resumes
        self.pause_on = target.pause_on

    def mode(self) -> int:
        """The clock's mode given these facts (a tier clock is off until it visited)."""
        phase = self.phase
        if self.response:
            if self.responded:
                return DONE
            return CANCEL if phase is _CANCELLED else RUN
        here = True
        tier = self.tier
        if tier is not None:
            if not self.visited:
                return OFF
            here = self.at_tier()
        if phase is _RESOLVED or phase is _CLOSED or (self.resolved and self.final):
            return DONE
        if phase is _CANCELLED:
            return CANCEL if here else DONE
        if not here:
            return DONE
        if phase is _HELD and self.reason in self.pause_on:
            return PAUSE
        return RUN

    def at_tier(self) -> bool:
        """Whether the ticket is now open with a group at the tier (and a vendor, for UC)."""
        group = self.group
        if group is None or group.tier is not self.tier:
            return False
        return not self.vendor_only or self.vendor


def _moved(w: _Walk, p: Any) -> None:  # Assigned, Reassigned
    w.phase, w.group, w.reason = _QUEUED, p.group, None


def _escalated(w: _Walk, p: ev.Escalated) -> None:
    w.phase, w.group, w.reason = _QUEUED, p.group, None
    w.vendor = p.target is not None and p.target.kind is L3TargetKind.VENDOR


def _handed_back(w: _Walk, p: ev.HandedBack) -> None:
    w.phase, w.group, w.reason, w.vendor = _QUEUED, p.group, None, False


def _started(w: _Walk, _p: ev.Started) -> None:
    w.phase, w.responded = _WORKING, True


def _held(w: _Walk, p: ev.Held) -> None:
    w.phase, w.reason = _HELD, p.reason


def _reason_changed(w: _Walk, p: ev.HoldReasonChanged) -> None:
    w.phase, w.reason = _HELD, p.new


def _working(w: _Walk, _p: Any) -> None:  # Resumed, Reopened
    w.phase = _WORKING


def _resolved(w: _Walk, _p: ev.Resolved) -> None:
    w.phase, w.responded, w.resolved = _RESOLVED, True, True


def _closed(w: _Walk, _p: ev.Closed) -> None:
    w.phase = _CLOSED


def _cancelled(w: _Walk, _p: ev.Cancelled) -> None:
    w.phase = _CANCELLED


def _updated(w: _Walk, p: ev.Updated) -> None:
    for change in p.changes:
        if change.field == "priority":
            w.priority = Priority(change.new)


_APPLY: dict[type[Any], Callable[[_Walk, Any], None]] = {
    ev.Assigned: _moved,
    ev.Reassigned: _moved,
    ev.Escalated: _escalated,
    ev.HandedBack: _handed_back,
    ev.Started: _started,
    ev.Held: _held,
    ev.HoldReasonChanged: _reason_changed,
    ev.Resumed: _working,
    ev.Reopened: _working,
    ev.Resolved: _resolved,
    ev.Closed: _closed,
    ev.Cancelled: _cancelled,
    ev.Updated: _updated,
}
"""How each payload changes the facts. Any other payload (a note, a link, a vendor
update, an assignee) changes nothing a clock looks at, so the walk skips it unless
the clock counts updates."""


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
        self.gaps: list[list[tuple[int, int]]] = []
        self.started_at: datetime | None = None
        self.stopped_at: datetime | None = None
        self.rebased_us = 0
        self._walk(history)
        self.duration = target.duration_for(self.priority)
        self.calendar: BusinessCalendar = target.calendar_for(self.priority)
        self.duration_us = self.duration // US
        self._measure()

    def _walk(self, history: Any) -> None:
        """Replay the facts event by event and cut the running stretches into gaps.

        Only events that change a fact can change the mode, so the others are
        skipped (all but the first, where the clock may start), unless the
        clock counts updates and any trigger may restart it.
        """
        at, update = self.at, self.target.metric is _UPDATE
        restarts = update or self.target.per_group
        opened = history[0]
        facts = _Walk(opened.payload, self.target)
        check_tier = facts.tier is not None
        gaps: list[list[tuple[int, int]]] = [[]]
        mode = OFF
        start = 0
        apply = _APPLY.get
        for event in history:
            when = event.at
            if when > at:
                break
            payload = event.payload
            handler = apply(type(payload))
            old_priority, old_group = facts.priority, facts.group
            if handler is not None:
                handler(facts, payload)
                if facts.priority is not old_priority:
                    self.rebased_us = to_us(when)
                if check_tier and not facts.visited:
                    facts.visited = facts.at_tier()
            elif not update and event is not opened:
                continue
            new = facts.mode()
            reset = restarts and new in (RUN, PAUSE) and self._restarts(payload, old_group, facts)
            if new == mode and not reset:
                continue
            if mode == RUN:  # it stops, or restarts: close the running stretch
                gaps[-1].append((start, to_us(when)))
            if reset:
                gaps = [*gaps, []] if update else [[]]
            if new == RUN:  # it starts, or restarts
                start = to_us(when)
            if new != mode:
                self._mark(mode, new, when)
                mode = new
        if mode == RUN and self.at_us > start:
            gaps[-1].append((start, self.at_us))
        self.gaps, self.mode, self.priority = gaps, mode, facts.priority

    def _restarts(self, payload: Any, old_group: Any, facts: _Walk) -> bool:
        """Whether this event starts a new gap: an update, or a move to another group."""
        target = self.target
        if target.metric is _UPDATE and payload.TRIGGER in target.update_triggers:
            return True
        return target.per_group and old_group is not None and facts.group != old_group

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
            return from_us(crossing, self.calendar.tzinfo)
        if self.mode != RUN:
            return None
        future = self.calendar.add_us(self.at_us, amount - elapsed)
        return from_us(future, self.calendar.tzinfo)

    def status(self) -> SlaStatus:
        """The clock's `SlaStatus` at the instant it was computed for."""
        mode, zone = self.mode, self.calendar.tzinfo
        breached = self.breached_us is not None
        stage = _STAGE.get(mode) or (_BREACHED if breached else _MET)
        due: datetime | None = None
        if mode == RUN:
            due_us = self.crossing
            if due_us is None:
                due_us = self.calendar.add_us(self.at_us, self.duration_us - self.elapsed_us)
            due = from_us(due_us, zone)
        elif mode == DONE and self.crossing is not None:
            due = from_us(self.crossing, zone)
        elapsed = US * self.elapsed_us
        return SlaStatus(
            target=self.target,
            priority=self.priority,
            duration=self.duration,
            stage=stage,
            elapsed=elapsed,
            remaining=max(self.duration - elapsed, _ZERO),
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
    >>> from itil_l2 import Priority
    >>> from itil_l2.sla import SlaMetric
    >>> from itil_l2 import SlaTarget
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
