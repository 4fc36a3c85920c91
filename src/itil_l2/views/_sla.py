"""The view of an SLA clock's state: a summary, without the target's internals.

An `SlaStatus` carries its whole `SlaTarget` (durations per priority, the
business calendar and its holidays); a client needs the target's name and
metric and where the clock stands.
"""

from typing import Annotated

from typing_extensions import TypedDict  # pydantic reads only this TypedDict on Python 3.11

from itil_l2.sla import AgreementType, SlaMetric, SlaStage, SlaStatus
from itil_l2.views._policy import (
    PRIORITIES,
    Choice,
    Format,
    enum_text,
    iso_or_none,
    seconds,
)

__all__ = ["SlaView", "sla_view"]

Time = Annotated[str, Format("date-time")]


class SlaView(TypedDict):
    """Where one SLA clock stands at one instant (durations in business seconds)."""

    target: str
    metric: Annotated[str, Choice.of(SlaMetric)]
    agreement: Annotated[str, Choice.of(AgreementType)]
    priority: Annotated[str, PRIORITIES]
    stage: Annotated[str, Choice.of(SlaStage)]
    duration_seconds: float
    elapsed_seconds: float
    remaining_seconds: float
    percentage: float
    paused: bool
    breached: bool
    due_at: Time | None
    breached_at: Time | None
    started_at: Time | None
    stopped_at: Time | None


def sla_view(status: SlaStatus) -> SlaView:
    """The summary of an SLA status.

    >>> import json
    >>> from datetime import UTC, datetime, timedelta
    >>> from itil_l2 import Actor, Impact, Priority, SupportGroup, Ticket, Tier, Urgency
    >>> from itil_l2.sla import SlaMetric, SlaTarget, sla_status
    >>> from itil_l2.views import sla_view
    >>> desk = SupportGroup("desk", Tier.L1)
    >>> t = Ticket.open(id="INC-1", title="VPN down", impact=Impact.MEDIUM,
    ...                 urgency=Urgency.HIGH, owner_group=desk,
    ...                 at=datetime(2026, 1, 5, 9, tzinfo=UTC), actor=Actor("ann"))
    >>> target = SlaTarget("resolve", SlaMetric.RESOLUTION, {Priority.P2: timedelta(hours=8)})
    >>> view = sla_view(sla_status(t, target, datetime(2026, 1, 5, 11, tzinfo=UTC)))
    >>> view["stage"], view["elapsed_seconds"], view["due_at"]
    ('in_progress', 7200.0, '2026-01-05T17:00:00+00:00')
    >>> len(json.dumps(view)) < 500
    True
    """
    s = status
    return {
        "target": s.target.name,
        "metric": enum_text(s.target.metric),
        "agreement": enum_text(s.target.agreement),
        "priority": enum_text(s.priority),
        "stage": enum_text(s.stage),
        "duration_seconds": seconds(s.duration),
        "elapsed_seconds": seconds(s.elapsed),
        "remaining_seconds": seconds(s.remaining),
        "percentage": s.percentage,
        "paused": s.paused,
        "breached": s.breached,
        "due_at": iso_or_none(s.due_at),
        "breached_at": iso_or_none(s.breached_at),
        "started_at": iso_or_none(s.started_at),
        "stopped_at": iso_or_none(s.stopped_at),
    }
