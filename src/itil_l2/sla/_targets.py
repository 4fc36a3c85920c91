"""SLA, OLA and UC definitions and the status a clock reports.

A `SlaTarget` says what is measured (the metric), how long it may take per
priority, on which `BusinessCalendar`, under which agreement type, and which
hold reasons pause it. Pause rules live here and only here: a `HoldReason`
says why a ticket waits, a target decides whether that wait counts.

`sla_status` (in `_clock.py`) computes a `SlaStatus` purely from a ticket's
history, so a live ticket and an imported log are measured the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import attrs
from attrs import frozen

from itil_l2._core import checks as _checks
from itil_l2._core.priority import Priority
from itil_l2._core.tier import Tier
from itil_l2.errors import ConfigurationError, ErrorCategory, ValidationError
from itil_l2.sla._calendar import TWENTY_FOUR_SEVEN, BusinessCalendar
from itil_l2.tickets import HoldReason, Trigger

__all__ = [
    "AgreementType",
    "DEFAULT_UPDATE_TRIGGERS",
    "NoTargetForPriority",
    "SlaMetric",
    "SlaStage",
    "SlaStatus",
    "SlaTarget",
]


class NoTargetForPriority(ConfigurationError, ValidationError):
    """The target defines no duration for the ticket's priority.

    A gap in the host's SLA configuration, not the caller's mistake: its
    category is `CONFIGURATION` (a web host answers 500). It stays a
    `ValidationError` too, so code that caught it that way keeps working.

    >>> from itil_l2.errors import ConfigurationError, ErrorCategory
    >>> NoTargetForPriority.category is ErrorCategory.CONFIGURATION
    True
    >>> issubclass(NoTargetForPriority, ConfigurationError)
    True
    """

    category = ErrorCategory.CONFIGURATION


class AgreementType(StrEnum):
    """With whom the promise is made: the customer, another internal team, a supplier."""

    SLA = "sla"
    OLA = "ola"
    UC = "uc"


class SlaMetric(StrEnum):
    """What a clock measures.

    - `response`: from logging until an agent first starts work (or resolves).
    - `resolution`: from logging until resolved; a reopen resumes it (configurable).
    - `update`: the gap since the last agent update while open; breached when
      any gap exceeds the target.
    - `ola_l2` / `ola_l3`: time the ticket spends at L2 / L3 (per tier, so a
      late escalation does not eat the receiving tier's time).
    - `uc_vendor`: time at L3 with a vendor target (the underpinning contract).
    """

    RESPONSE = "response"
    RESOLUTION = "resolution"
    UPDATE = "update"
    OLA_L2 = "ola_l2"
    OLA_L3 = "ola_l3"
    UC_VENDOR = "uc_vendor"

    @property
    def tier(self) -> Tier | None:
        """The tier whose time this metric counts (None for ticket-wide metrics)."""
        return _TIER_OF.get(self)

    @property
    def default_agreement(self) -> AgreementType:
        """SLA for ticket-wide metrics, OLA for tier clocks, UC for the vendor clock."""
        if self is SlaMetric.UC_VENDOR:
            return AgreementType.UC
        return AgreementType.OLA if self.tier is not None else AgreementType.SLA


_TIER_OF = {SlaMetric.OLA_L2: Tier.L2, SlaMetric.OLA_L3: Tier.L3, SlaMetric.UC_VENDOR: Tier.L3}


class SlaStage(StrEnum):
    """Where a clock is, like ServiceNow's task SLA stages.

    `not_started` is extra: a tier clock of a ticket that never reached the tier.
    `met` and `breached` are the two completed stages.
    """

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"

    @property
    def is_completed(self) -> bool:
        """Met or breached: the clock stopped for good (unless a reopen resumes it)."""
        return self in (SlaStage.MET, SlaStage.BREACHED)


DEFAULT_UPDATE_TRIGGERS = frozenset(
    {
        Trigger.START,
        Trigger.ADD_NOTE,
        Trigger.HOLD,
        Trigger.RESUME,
        Trigger.CHANGE_HOLD_REASON,
        Trigger.VENDOR_UPDATE,
    }
)
"""Events that count as an agent update for the `update` metric."""


def _pairs(value: Any, what: str) -> dict[Any, Any]:
    """A mapping, or the sorted pairs a previous conversion produced (for `evolve`)."""
    try:
        return dict(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{what} must be a mapping keyed by Priority") from exc


def _durations(value: Mapping[Priority, timedelta]) -> tuple[tuple[Priority, timedelta], ...]:
    value = _pairs(value, "durations")
    if not value:
        raise ValidationError("durations maps at least one Priority to a timedelta")
    for priority, duration in value.items():
        if not isinstance(priority, Priority):
            raise ValidationError(f"durations keys are Priority members, got {priority!r}")
        if not isinstance(duration, timedelta) or duration <= timedelta(0):
            raise ValidationError(f"the {priority} target must be a positive timedelta")
    return tuple(sorted(value.items()))


def _calendars(
    value: Mapping[Priority, BusinessCalendar],
) -> tuple[tuple[Priority, BusinessCalendar], ...]:
    value = _pairs(value, "calendars")
    for priority, calendar in value.items():
        _checks.check_instance(priority, Priority, "calendars key")
        _checks.check_instance(calendar, BusinessCalendar, "calendars value")
    return tuple(sorted(value.items()))


def _reasons(value: Iterable[HoldReason]) -> frozenset[HoldReason]:
    items = frozenset(value)
    if not all(isinstance(r, HoldReason) for r in items):
        raise ValidationError("pause_on holds HoldReason values")
    return items


def _triggers(value: Iterable[Trigger]) -> frozenset[Trigger]:
    items = frozenset(value)
    if not all(isinstance(t, Trigger) for t in items):
        raise ValidationError("update_triggers holds Trigger values")
    return items


def _default_agreement(target: Any) -> AgreementType:
    metric: SlaMetric = target.metric
    return metric.default_agreement


@frozen
class SlaTarget:
    """One promise: a metric, a duration per priority, a calendar and pause rules.

    By default only `HoldReason.AWAITING_CALLER` pauses the clock (waiting for
    a vendor is still our time). `calendars` overrides `calendar` per priority,
    e.g. 24x7 for P1. `reopen_resumes=False` makes the first resolution final.
    `per_group=True` restarts a tier clock whenever another group at that tier
    takes the ticket (a per-group OLA).

    >>> from datetime import timedelta
    >>> from itil_l2 import Priority
    >>> t = SlaTarget("resolution", SlaMetric.RESOLUTION,
    ...               {Priority.P1: timedelta(hours=4), Priority.P2: timedelta(hours=8)})
    >>> t.agreement.value, t.duration_for(Priority.P2)
    ('sla', datetime.timedelta(seconds=28800))
    """

    name: str = attrs.field(validator=_checks.text)
    metric: SlaMetric = attrs.field(validator=_checks.member(SlaMetric))
    durations: tuple[tuple[Priority, timedelta], ...] = attrs.field(converter=_durations)
    calendar: BusinessCalendar = attrs.field(
        default=TWENTY_FOUR_SEVEN, validator=attrs.validators.instance_of(BusinessCalendar)
    )
    agreement: AgreementType = attrs.field(
        default=attrs.Factory(_default_agreement, takes_self=True),
        validator=_checks.member(AgreementType),
    )
    pause_on: frozenset[HoldReason] = attrs.field(
        default=frozenset({HoldReason.AWAITING_CALLER}), converter=_reasons
    )
    reopen_resumes: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    per_group: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    calendars: tuple[tuple[Priority, BusinessCalendar], ...] = attrs.field(
        default=(), converter=_calendars
    )
    update_triggers: frozenset[Trigger] = attrs.field(
        default=DEFAULT_UPDATE_TRIGGERS, converter=_triggers
    )

    def duration_for(self, priority: Priority) -> timedelta:
        """The target for `priority`, or `NoTargetForPriority`."""
        for p, duration in self.durations:
            if p is priority:
                return duration
        raise NoTargetForPriority(f"{self.name}: no target for {priority}")

    def calendar_for(self, priority: Priority) -> BusinessCalendar:
        """The calendar the clock runs on at `priority`."""
        for p, calendar in self.calendars:
            if p is priority:
                return calendar
        return self.calendar

    def pauses(self, reason: HoldReason | None) -> bool:
        """Whether being on hold for `reason` stops this clock."""
        return reason is not None and reason in self.pause_on


@frozen
class SlaStatus:
    """A clock's state at one instant, computed from the history.

    `elapsed` and `remaining` are business time on the target's calendar;
    `due_at` is None while paused, once met, or before the clock started;
    `breached_at` is the instant the target was used up (never before the
    priority change that made the target apply).
    """

    target: SlaTarget
    priority: Priority
    duration: timedelta
    stage: SlaStage
    elapsed: timedelta
    remaining: timedelta
    percentage: float
    paused: bool
    due_at: datetime | None
    breached: bool
    breached_at: datetime | None
    started_at: datetime | None
    stopped_at: datetime | None

    @property
    def metric(self) -> SlaMetric:
        """The measured metric (from the target)."""
        return self.target.metric

    @property
    def running(self) -> bool:
        """Whether the clock is ticking right now."""
        return self.stage is SlaStage.IN_PROGRESS
